// The types every layer shares: problem settings, kernel inputs and outputs, progress. Depends on nothing.

/** Under fill 'exact' every tile row and column keeps exactly N; under 'atMost' at most N. */
export type Fill = 'exact' | 'atMost';

export type BackendName = 'reference' | 'wasm' | 'gpu';
export type BackendChoice = BackendName | 'auto';
export type TransposableMethod = 'exact' | 'tsenor' | 'greedy';

/** TSENOR knobs (docs/design.md, "TSENOR defaults", has the measured defaults). */
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

/** What a kernel gets besides its arguments: cancellation, progress, and a record of what ran. */
export interface KernelContext {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Called by the dispatcher with each kernel it runs and the backend that runs it. */
  onKernel?: (kernel: string, backend: BackendName) => void;
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

/** SparseGPT's whole sweep of a standard pattern, from the obsSweep kernel (rows × n each). */
export interface ObsSweepResult {
  /** The pruned and compensated weights (zero off the mask). */
  weights: Float32Array;
  /** 0/1: kept by its slab's mask. */
  mask: Uint8Array;
}

/** One block of SparseGPT's sweep, from the obsBlock kernel (each rows × width, row-major). */
export interface ObsBlockResult {
  /** The swept weights: zero where pruned, compensated elsewhere. */
  weights: Float32Array;
  /** 0/1: kept by its slab's mask. */
  mask: Uint8Array;
  /** The OBS error e = x_c/U_cc of each pruned entry (0 where kept), for the later blocks' update. */
  err: Float32Array;
}

/** A standard mask of a whole matrix, from the standardMask kernel. */
export interface StandardSolution {
  /** Row-major 0/1 mask, rows·cols entries. */
  mask: Uint8Array;
  /** Σ of the kept scores (f64), in the order of core/matrix.ts rowwiseMaskedSum. */
  objective: number;
}

/** A transposable mask of a whole matrix, from the transposableMatrix kernel. */
export interface MatrixMaskSolution {
  /** Row-major 0/1 mask, rows·cols entries. */
  mask: Uint8Array;
  /** Σ of the kept scores (f64). */
  objective: number;
  /** For exact: Σ over the tiles, in tile order, of the LP-dual bound of the solution's potentials. */
  upperBound?: number;
}

