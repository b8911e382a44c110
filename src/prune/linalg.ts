/**
 * The linear algebra the pruners run on, chosen by the `backend` option: the WebAssembly SIMD kernels
 * (src/backends/wasmLinalg.ts, large products on the worker pool) or the reference TypeScript ones
 * (src/reference/linalg.ts, slow, the spec). There are no GPU linear algebra kernels: with backend
 * 'gpu' the masks and the prox run on the GPU and the products on WebAssembly.
 */
import { resolveBackend } from '../backends/registry.js';
import '../backends/all.js';
import * as wasm from '../backends/wasmLinalg.js';
import * as ref from '../reference/linalg.js';
import type { BackendChoice, KernelContext } from '../core/types.js';
import type { GemmShape } from '../reference/linalg.js';

export interface Linalg {
  readonly name: 'wasm' | 'reference';
  /** C = β·C + α·op(A)·op(B) (f32); C is updated in place and returned. */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, ctx?: KernelContext): Promise<Float32Array>;
  /** The features' Gram matrix (f64): XᵀX (X samples × features) or X·Xᵀ (X features × samples). */
  gram(x: Float32Array, rows: number, cols: number, featuresBySamples: boolean, ctx?: KernelContext): Promise<Float64Array>;
  /** Lower Cholesky factor; E_SINGULAR when a pivot is not above minPivot. */
  cholesky(a: Float64Array, n: number, minPivot?: number): Promise<Float64Array>;
  triangularInverseLower(l: Float64Array, n: number): Promise<Float64Array>;
  spdInverse(a: Float64Array, n: number, minPivot?: number): Promise<Float64Array>;
  /** Per-row least squares on each row's mask support (see src/reference/linalg.ts). */
  refitRows(
    h: Float64Array,
    n: number,
    mask: Uint8Array,
    rhs: Float64Array,
    ridge: number,
    rows: number,
    ctx?: KernelContext,
  ): Promise<Float32Array>;
}

const wasmLinalg: Linalg = { name: 'wasm', ...wasm };

const referenceLinalg: Linalg = {
  name: 'reference',
  gemm: async (a, b, c, shape) => ref.gemm(a, b, c, shape),
  gram: async (x, rows, cols, fbs) => ref.gram(x, rows, cols, fbs),
  cholesky: async (a, n, minPivot) => ref.cholesky(a, n, minPivot),
  triangularInverseLower: async (l, n) => ref.triangularInverseLower(l, n),
  spdInverse: async (a, n, minPivot) => ref.spdInverse(a, n, minPivot),
  refitRows: async (h, n, mask, rhs, ridge, rows) => ref.refitRows(h, n, mask, rhs, ridge, rows),
};

/**
 * 'reference' → the reference kernels; 'wasm' → WebAssembly (E_BACKEND when it cannot run); 'gpu' and
 * 'auto' → WebAssembly when available, else the reference kernels.
 */
export async function linalgFor(choice: BackendChoice | undefined): Promise<Linalg> {
  if (choice === 'reference') return referenceLinalg;
  if (choice === 'wasm') {
    await resolveBackend('wasm');
    return wasmLinalg;
  }
  const available = await resolveBackend('wasm').then(() => true, () => false);
  return available ? wasmLinalg : referenceLinalg;
}
