import { NmsparseError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type {
  BackendChoice,
  BackendName,
  ExactSolution,
  Fill,
  KernelContext,
  MatrixMaskSolution,
  TileBatch,
  TransposableMethod,
  TsenorOptions,
} from '../core/types.js';

export interface Availability {
  available: boolean;
  /** Why not, when not available; what it runs on, when available. */
  reason: string;
}

/**
 * A backend: a handful of batched kernels, tiles in and masks out. Every backend gives bit-identical
 * standard and greedy masks and certified-optimal exact masks; the public API never changes with it.
 */
export interface Backend {
  readonly name: BackendName;
  available(): Promise<Availability>;
  /**
   * For `auto`: whether this backend is worth it for a job of `entries` score values. Backends without
   * this hook are taken whenever available.
   */
  preferredFor?(entries: number): Promise<boolean>;
  standard(scores: Matrix, n: number, m: number, ctx: KernelContext): Promise<Uint8Array>;
  exact(batch: TileBatch, n: number, fill: Fill, ctx: KernelContext): Promise<ExactSolution>;
  greedy(batch: TileBatch, n: number, fill: Fill, ctx: KernelContext): Promise<Uint8Array>;
  tsenor(batch: TileBatch, n: number, fill: Fill, options: TsenorOptions, ctx: KernelContext): Promise<Uint8Array>;
  /**
   * Optional: a transposable mask straight from the row-major matrix (no tile copies on the calling
   * thread), the same masks as the tile kernels. It reads `scores.data` after awaiting, so the caller
   * passes data nobody else mutates.
   */
  transposableMatrix?(
    scores: Matrix,
    n: number,
    m: number,
    method: TransposableMethod,
    fill: Fill,
    options: TsenorOptions,
    ctx: KernelContext,
  ): Promise<MatrixMaskSolution>;
  /** The 2:4 proximal operator on every group of 4 consecutive values (z.length a multiple of 4). */
  prox24(z: Float32Array, lambda: number, ctx: KernelContext): Promise<Float32Array>;
}

const registry = new Map<BackendName, Backend>();

/** Adds (or replaces) a backend under its name. */
export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
}

export interface BackendInfo extends Availability {
  name: BackendName;
}

/** What is registered, and whether each one can run here (and why not). */
export async function listBackends(): Promise<BackendInfo[]> {
  const out: BackendInfo[] = [];
  for (const b of registry.values()) out.push({ name: b.name, ...(await b.available()) });
  return out;
}

/** Preference order for `auto`; gpu decides for itself (preferredFor) whether the job is worth it. */
const AUTO_ORDER: BackendName[] = ['gpu', 'wasm', 'reference'];

/**
 * Resolves a backend choice for a job of `entries` score values. A named backend that cannot run is an
 * error, never a silent fallback; `auto` takes the first of gpu (hardware adapter, large job), wasm,
 * reference that is available.
 */
export async function resolveBackend(choice: BackendChoice | undefined, entries = 0): Promise<Backend> {
  const wanted = choice ?? 'auto';
  if (wanted === 'auto') {
    for (const name of AUTO_ORDER) {
      const b = registry.get(name);
      if (!b || (b.preferredFor && !(await b.preferredFor(entries)))) continue;
      if ((await b.available()).available) return b;
    }
    throw new NmsparseError('E_BACKEND', 'no backend is available (not even the reference backend)');
  }
  const b = registry.get(wanted);
  if (!b) {
    const known = [...registry.keys()].join(', ');
    throw new NmsparseError('E_BACKEND', `unknown backend ${JSON.stringify(wanted)}; known backends: ${known}, auto`);
  }
  const a = await b.available();
  if (!a.available) {
    throw new NmsparseError('E_BACKEND', `backend '${wanted}' is not available: ${a.reason}`);
  }
  return b;
}
