import { NmsparseError, throwIfAborted } from '../errors.js';
import type { Fill, Matrix } from '../matrix.js';

export type BackendName = 'reference' | 'wasm' | 'gpu';
export type BackendChoice = BackendName | 'auto';
export type TransposableMethod = 'exact' | 'tsenor' | 'greedy';

/** TSENOR knobs (see README for the measured defaults). */
export interface TsenorOptions {
  /** Entropy strength: larger is closer to the LP optimum and needs more iterations. */
  tau: number;
  /** Dykstra iterations in all (each: row scaling, column scaling, box step). */
  iterations: number;
  /** τ schedule: the iterations are split over this many stages, τ doubling up to `tau` (1 = fixed τ). */
  stages: number;
  /** Local-search steps per tile after rounding. */
  localSearchSteps: number;
}

export interface Progress {
  /** Units of work done (tiles for mask solvers, rows for standard masks). */
  done: number;
  total: number;
}

export interface KernelContext {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/** A batch of M×M tiles, row-major each, `count·m·m` values. */
export interface TileBatch {
  tiles: Float32Array;
  count: number;
  m: number;
}

/** An exact solution: the masks and the optimal LP dual potentials (u per tile row, v per tile column). */
export interface ExactSolution {
  mask: Uint8Array;
  /** count·m row potentials. */
  u: Float64Array;
  /** count·m column potentials. */
  v: Float64Array;
  /** Σ over the tiles of the LP-dual bound of (u, v), when the backend computed it with the solve. */
  upperBound?: number;
}

/** A transposable mask of a whole matrix, from Backend.transposableMatrix. */
export interface MatrixMaskSolution {
  /** Row-major 0/1 mask, rows·cols entries. */
  mask: Uint8Array;
  /** Σ of the kept scores (f64). */
  objective: number;
  /** For exact: Σ over the tiles, in tile order, of the LP-dual bound of the solution's potentials. */
  upperBound?: number;
}

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

/**
 * Runs `work(start, end)` over [0, total) in chunks, reporting progress and honouring the AbortSignal
 * between chunks. It yields to the event loop between chunks so that an abort can actually arrive.
 */
export async function runChunked(
  total: number,
  chunk: number,
  ctx: KernelContext,
  work: (start: number, end: number) => void,
): Promise<void> {
  throwIfAborted(ctx.signal);
  for (let start = 0; start < total; start += chunk) {
    const end = Math.min(total, start + chunk);
    work(start, end);
    ctx.onProgress?.({ done: end, total });
    if (end < total) {
      await yieldToEventLoop();
      throwIfAborted(ctx.signal);
    }
  }
}

/** Lets pending events (an abort, a progress repaint) run; setImmediate where there is one (Node). */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  return new Promise<void>((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}
