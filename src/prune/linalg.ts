/**
 * The linear algebra the pruners run on, through the kernel registry: `backend` picks who runs each
 * product and factorisation ('wasm': WebAssembly SIMD with the large products on the worker pool;
 * 'reference': the readable TypeScript kernels; 'gpu' has no linear algebra kernels, so the registry
 * runs them on wasm, or reference where wasm cannot run). `ran` records the backend that last ran one.
 */
import '../backends/all.js';
import { runKernel, type Kernel, type KernelName } from '../backends/registry.js';
import type { BackendChoice, BackendName, KernelContext, ObsBlockResult, ObsSweepResult } from '../core/types.js';
import type { GemmShape } from '../reference/linalg.js';

export interface Linalg {
  /** The backend that ran the last kernel (the choice itself until one ran). */
  readonly ran: BackendChoice | BackendName;
  /** C = β·C + α·op(A)·op(B) (f32); C is updated in place and returned. */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, ctx?: KernelContext): Promise<Float32Array>;
  /** The features' Gram matrix (f64): XᵀX (X samples × features) or X·Xᵀ (X features × samples). */
  gram(x: Float32Array, rows: number, cols: number, featuresBySamples: boolean, ctx?: KernelContext): Promise<Float64Array>;
  /** Lower Cholesky factor; E_SINGULAR when a pivot is not above minPivot. */
  cholesky(a: Float64Array, n: number, minPivot?: number): Promise<Float64Array>;
  triangularInverseLower(l: Float64Array, n: number): Promise<Float64Array>;
  spdInverse(a: Float64Array, n: number, minPivot?: number): Promise<Float64Array>;
  /** One block of SparseGPT's sweep for a standard N:M pattern (see src/reference/obsSweep.ts). */
  obsBlock(w: Float32Array, rows: number, width: number, u: Float64Array, n: number, m: number, ctx?: KernelContext): Promise<ObsBlockResult>;
  /** SparseGPT's whole sweep for a standard N:M pattern (see obsSweep in src/reference/obsSweep.ts). */
  obsSweep(w: Float32Array, rows: number, cols: number, u: Float64Array, n: number, m: number, block: number, ctx?: KernelContext): Promise<ObsSweepResult>;
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

/** The linear algebra kernels of `choice` (resolved per call by the registry, with its fallbacks). */
export function linalgFor(choice: BackendChoice | undefined): Linalg {
  let ran: BackendChoice | BackendName = choice ?? 'auto';
  async function run<K extends KernelName>(
    kernel: K,
    entries: number,
    args: Parameters<Kernel<K>>[0],
    ctx: KernelContext = {},
  ): Promise<Awaited<ReturnType<Kernel<K>>>> {
    const result = await runKernel(kernel, choice, entries, args, ctx);
    ran = result.backend;
    return result.value;
  }
  return {
    get ran() {
      return ran;
    },
    gemm: (a, b, c, shape, ctx) => run('gemm', c.length, { a, b, c, shape }, ctx),
    gram: (x, rows, cols, featuresBySamples, ctx) => run('gram', x.length, { x, rows, cols, featuresBySamples }, ctx),
    cholesky: (a, n, minPivot = 0) => run('cholesky', a.length, { a, n, minPivot }),
    triangularInverseLower: (l, n) => run('triangularInverse', l.length, { l, n }),
    spdInverse: (a, n, minPivot = 0) => run('spdInverse', a.length, { a, n, minPivot }),
    obsBlock: (w, rows, width, u, n, m, ctx) => run('obsBlock', rows * width, { w, rows, width, u, n, m }, ctx),
    obsSweep: (w, rows, cols, u, n, m, block, ctx) => run('obsSweep', rows * cols, { w, rows, cols, u, n, m, block }, ctx),
    refitRows: (h, n, mask, rhs, ridge, rows, ctx) => run('refitRows', rows * n, { h, n, mask, rhs, ridge, rows }, ctx),
  };
}
