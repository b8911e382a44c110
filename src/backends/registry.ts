/**
 * The kernel registry (docs/backends.md, "Kernel contracts"; docs/design.md, "Layers").
 *
 * A kernel is a plain async function `(args, ctx) => result` with one parameter object, registered per
 * (kernel name, backend). A backend is a name with an availability probe and, optionally, an opinion on
 * which jobs it is worth (`preferredFor`, used by `auto`). Choosing who runs a kernel happens here and
 * nowhere else:
 *   - a named backend must be available (else E_BACKEND, never a silent switch);
 *   - `auto` takes the first of gpu (when it prefers the job), wasm, reference that is available;
 *   - when the chosen backend has no implementation of the kernel, the dispatcher falls back along
 *     wasm → reference, and the run is recorded under the backend that really ran it.
 * Every kernel carries a contract (KERNEL_CONTRACTS) that the conformance suite checks against the
 * reference backend, which is the spec.
 */
import { optionsObject, rejectUnknownKeys } from '../core/callOptions.js';
import { NmsparseError } from '../core/errors.js';
import { describeValue, type Matrix } from '../core/matrix.js';
import type {
  BackendChoice,
  BackendName,
  ExactSolution,
  Fill,
  KernelContext,
  MatrixMaskSolution,
  ObsBlockResult,
  ObsSweepResult,
  StandardSolution,
  TileBatch,
  TransposableMethod,
  TsenorOptions,
} from '../core/types.js';
import type { GemmShape } from '../reference/linalg.js';

/**
 * The signature of every kernel, by name. Arguments are one object; results are fresh arrays, except
 * where the caller passes `out` (the mask kernels and prox24): then the result is written there, every
 * entry overwritten, and returned.
 */
export interface KernelSignatures {
  /** Standard N:M mask of a row-major matrix (cols a multiple of m). */
  /** The mask and its objective, summed as core/matrix.ts rowwiseMaskedSum does. */
  standardMask(args: { scores: Matrix; n: number; m: number; out?: Uint8Array }, ctx: KernelContext): Promise<StandardSolution>;
  /** Optimal transposable masks of a batch of tiles, with the optimal LP dual potentials. */
  exactTiles(args: { batch: TileBatch; n: number; fill: Fill }, ctx: KernelContext): Promise<ExactSolution>;
  /** Greedy selection with repair, per tile. */
  greedyTiles(args: { batch: TileBatch; n: number; fill: Fill }, ctx: KernelContext): Promise<Uint8Array>;
  /** TSENOR (Dykstra's entropic OT, rounding, local search), per tile. */
  tsenorTiles(
    args: { batch: TileBatch; n: number; fill: Fill; options: TsenorOptions },
    ctx: KernelContext,
  ): Promise<Uint8Array>;
  /**
   * A transposable mask of a whole row-major matrix (rows and cols multiples of m). `scores.data` is
   * read after awaiting, so the caller passes data nobody else mutates.
   */
  transposableMatrix(
    args: { scores: Matrix; n: number; m: number; method: TransposableMethod; fill: Fill; tsenor: TsenorOptions; out?: Uint8Array },
    ctx: KernelContext,
  ): Promise<MatrixMaskSolution>;
  /**
   * The 2:4 proximal operator on every group of 4 consecutive values (length a multiple of 4), written
   * into `out` when given (z's length, not z itself: an iterative caller reuses its buffers) and returned.
   */
  prox24(args: { z: Float32Array; lambda: number; out?: Float32Array }, ctx: KernelContext): Promise<Float32Array>;
  // Dense linear algebra of the layer pruners (src/reference/linalg.ts is the spec; row-major).
  /** C = β·C + α·op(A)·op(B) in f32; `c` is updated in place and returned. */
  gemm(args: { a: Float32Array; b: Float32Array; c: Float32Array; shape: GemmShape }, ctx: KernelContext): Promise<Float32Array>;
  /** The features' Gram matrix (f64): XᵀX for X rows × cols samples × features, X·Xᵀ when featuresBySamples. */
  gram(args: { x: Float32Array; rows: number; cols: number; featuresBySamples: boolean }, ctx: KernelContext): Promise<Float64Array>;
  /** Lower Cholesky factor of an SPD f64 matrix; E_SINGULAR when a pivot is not above minPivot. */
  cholesky(args: { a: Float64Array; n: number; minPivot: number }, ctx: KernelContext): Promise<Float64Array>;
  /** L⁻¹ of a lower-triangular f64 matrix. */
  triangularInverse(args: { l: Float64Array; n: number }, ctx: KernelContext): Promise<Float64Array>;
  /** A⁻¹ of an SPD f64 matrix; E_SINGULAR when a pivot is not above minPivot. */
  spdInverse(args: { a: Float64Array; n: number; minPivot: number }, ctx: KernelContext): Promise<Float64Array>;
  /**
   * One block of SparseGPT's OBS sweep for a standard N:M pattern: `w` (rows × width) swept with the
   * block's corner `u` (width × width) of U (H_d⁻¹ = UᵀU); the swept weights, the slab masks and the errors.
   */
  obsBlock(
    args: { w: Float32Array; rows: number; width: number; u: Float64Array; n: number; m: number },
    ctx: KernelContext,
  ): Promise<ObsBlockResult>;
  /**
   * SparseGPT's whole sweep for a standard N:M pattern (n of every m): `w` (rows × cols, not modified) in
   * blocks of `block` columns, each swept as obsBlock does, its errors applied to the later columns by one
   * f32 product (progress per block).
   */
  obsSweep(
    args: { w: Float32Array; rows: number; cols: number; u: Float64Array; n: number; m: number; block: number },
    ctx: KernelContext,
  ): Promise<ObsSweepResult>;
  /** Per row r, least squares on the support of mask row r: (H_SS + δI)·w_S = rhs_{r,S} (δ from `ridge`, ×100 until it factors). */
  refitRows(
    args: { h: Float64Array; n: number; mask: Uint8Array; rhs: Float64Array; ridge: number; rows: number },
    ctx: KernelContext,
  ): Promise<Float32Array>;
}

export type KernelName = keyof KernelSignatures;
export type Kernel<K extends KernelName> = KernelSignatures[K];

/** What every implementation of a kernel promises, checked by test/backends/conformance.test.ts. */
export const KERNEL_CONTRACTS: Readonly<Record<KernelName, string>> = Object.freeze({
  standardMask: 'bit-identical to the reference (ties: lower index first), objective included (rowwiseMaskedSum order)',
  exactTiles:
    'certified optimal: the same objective as the reference, duals whose LP-dual bound equals it; tied tiles may pick another optimal mask',
  greedyTiles: 'bit-identical to the reference',
  tsenorTiles: 'valid masks within the certified-gap tolerance of the reference (docs/backends.md)',
  transposableMatrix: 'the same masks, objective and bound as gathering the tiles and running the tile kernel',
  prox24: "the global minimiser of every group: within 1e-6 of the group's largest |z| of the reference",
  gemm: 'the reference product with f32 accumulation: within ~k·2⁻²⁴·Σ|a||b| per entry (test/prune/linalg.test.ts)',
  gram: 'the reference within 1e-6·√(H_ii·H_jj) per entry (f32 sums per 256 samples, added in f64)',
  cholesky: 'L·Lᵀ equal to A to ~1e-9 relative; E_SINGULAR exactly when a pivot is not above minPivot',
  triangularInverse: 'L⁻¹·L equal to I to ~1e-8',
  spdInverse: 'A⁻¹·A equal to I to ~1e-7; E_SINGULAR like cholesky',
  obsBlock: 'bit-identical to the reference (each entry: the same f64 products and differences in the same order)',
  obsSweep: "bit-identical to the same backend's obsBlock and gemm run block by block as src/reference/obsSweep.ts does",
  refitRows: 'the reference refit to f32 rounding: it meets the normal equations on every support',
});

export interface Availability {
  available: boolean;
  /** Why not, when not available; what it runs on, when available. */
  reason: string;
}

/** A backend as the registry knows it: a name, an availability probe, and an opinion for `auto`. */
export interface BackendDescriptor {
  readonly name: BackendName;
  available(): Promise<Availability>;
  /** For `auto`: whether this backend is worth it for a job of `entries` score values (default: yes). */
  preferredFor?(entries: number): Promise<boolean>;
  /**
   * Availability as far as it can be told without starting a device (listBackends without `probe`);
   * absent where available() is cheap and silent.
   */
  peek?(): Promise<Availability & { probed: boolean }>;
}

export interface BackendInfo extends Availability {
  name: BackendName;
  /** The kernels this backend implements itself (others fall back along wasm → reference). */
  kernels: KernelName[];
  /**
   * Whether `available` was established by running the backend. False for a GPU that was not started
   * (listBackends({ probe: true }) starts it and runs one kernel); `reason` then says so.
   */
  probed: boolean;
}

export interface ListBackendsOptions {
  /** Start every backend that needs it (a GPU device: ~0.5 s, driver messages) to check it really runs. */
  probe?: boolean;
}

const backends = new Map<BackendName, BackendDescriptor>();
const kernels = new Map<KernelName, Map<BackendName, Kernel<KernelName>>>();

/** Adds (or replaces) a backend under its name. */
export function registerBackend(backend: BackendDescriptor): void {
  backends.set(backend.name, backend);
}

/** Adds (or replaces) the implementation of `kernel` on `backend`. */
export function registerKernel<K extends KernelName>(kernel: K, backend: BackendName, run: Kernel<K>): void {
  let byBackend = kernels.get(kernel);
  if (!byBackend) kernels.set(kernel, (byBackend = new Map()));
  byBackend.set(backend, run as Kernel<KernelName>);
}

/** The implementation of `kernel` that `backend` registered itself, if any (no fallback). */
export function getKernel<K extends KernelName>(kernel: K, backend: BackendName): Kernel<K> | undefined {
  return kernels.get(kernel)?.get(backend) as Kernel<K> | undefined;
}

function kernelsOf(backend: BackendName): KernelName[] {
  return [...kernels.entries()].filter(([, impls]) => impls.has(backend)).map(([name]) => name);
}

/**
 * Whether one backend can run here (and why not), and the kernels it implements itself; without
 * `probe`, a backend that would have to start a device answers from what it can tell without one.
 */
export async function backendInfo(name: BackendName, probe = true): Promise<BackendInfo> {
  const b = backends.get(name);
  if (!b) return { name, available: false, reason: 'not registered', kernels: [], probed: false };
  const status = !probe && b.peek ? await b.peek() : { ...(await b.available()), probed: true };
  return { name, ...status, kernels: kernelsOf(name) };
}

/**
 * What is registered, and whether each backend can run here (and why not). No GPU device is started
 * unless `probe` is set (see BackendInfo.probed).
 */
export async function listBackends(options?: ListBackendsOptions): Promise<BackendInfo[]> {
  const fields = optionsObject(options, 'listBackends', true);
  rejectUnknownKeys(fields, ['probe'], 'listBackends');
  if (fields.probe !== undefined && typeof fields.probe !== 'boolean') {
    throw new NmsparseError('E_OPTION', `listBackends: probe must be a boolean, got ${describeValue(fields.probe)}`);
  }
  const out: BackendInfo[] = [];
  for (const name of backends.keys()) out.push(await backendInfo(name, fields.probe === true));
  return out;
}

/** Preference order for `auto`; gpu decides for itself (preferredFor) whether the job is worth it. */
const AUTO_ORDER: readonly BackendName[] = ['gpu', 'wasm', 'reference'];
/** Where a kernel that the chosen backend lacks runs instead, in order. */
const FALLBACK_ORDER: readonly BackendName[] = ['wasm', 'reference'];

/**
 * Resolves a backend choice for a job of `entries` score values. A named backend that cannot run is an
 * error, never a silent fallback; `auto` takes the first of gpu (when it prefers the job), wasm,
 * reference that is available.
 */
export async function resolveBackend(choice: BackendChoice | undefined, entries = 0): Promise<BackendName> {
  const wanted = choice ?? 'auto';
  if (wanted === 'auto') {
    for (const name of AUTO_ORDER) {
      const b = backends.get(name);
      if (!b || (b.preferredFor && !(await b.preferredFor(entries)))) continue;
      if ((await b.available()).available) return name;
    }
    throw new NmsparseError('E_BACKEND', 'no backend is available (not even the reference backend)');
  }
  const b = typeof wanted === 'string' ? backends.get(wanted) : undefined;
  if (!b) {
    const known = [...backends.keys()].join(', ');
    const shown = typeof wanted === 'string' ? JSON.stringify(wanted.slice(0, 64)) : `of type ${typeof wanted}`;
    throw new NmsparseError('E_BACKEND', `unknown backend ${shown}; known backends: ${known}, auto`);
  }
  const a = await b.available();
  if (!a.available) throw new NmsparseError('E_BACKEND', `backend '${wanted}' is not available: ${a.reason}`);
  return b.name;
}

/** The backend that runs `kernel` for a job resolved to `backend`: itself, else the first fallback that can. */
async function implementer<K extends KernelName>(kernel: K, backend: BackendName): Promise<[BackendName, Kernel<K>]> {
  for (const name of [backend, ...FALLBACK_ORDER.filter((f) => f !== backend)]) {
    const run = getKernel(kernel, name);
    if (run && (name === backend || (await backends.get(name)?.available())?.available)) return [name, run];
  }
  throw new NmsparseError('E_BACKEND', `no available backend implements the ${kernel} kernel`);
}

/**
 * Runs `kernel` on the backend chosen by `choice` for a job of `entries` values (falling back per
 * kernel as described above) and records what ran through `ctx.onKernel`. Returns the kernel's result
 * and the name of the backend that ran it.
 */
export async function runKernel<K extends KernelName>(
  kernel: K,
  choice: BackendChoice | BackendName | undefined,
  entries: number,
  args: Parameters<Kernel<K>>[0],
  ctx: KernelContext,
): Promise<{ value: Awaited<ReturnType<Kernel<K>>>; backend: BackendName }> {
  const [backend, run] = await implementer(kernel, await resolveBackend(choice, entries));
  ctx.onKernel?.(kernel, backend);
  const value = (await (run as (a: typeof args, c: KernelContext) => Promise<unknown>)(args, ctx)) as Awaited<
    ReturnType<Kernel<K>>
  >;
  return { value, backend };
}
