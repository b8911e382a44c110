import { optionsObject, rejectUnknownKeys } from './callOptions.js';
import { NmsparseError } from './errors.js';
import type { TransposableMethod, TsenorOptions } from './types.js';
import { describeValue } from './matrix.js';

/**
 * TSENOR defaults, chosen by measurement (scripts/tune-tsenor.ts; docs/design.md, "TSENOR defaults"): τ doubles
 * over 3 stages from 25 to 100 (a fixed τ = 50 leaves column-scaled matrices near greedy's gap), 60
 * Dykstra iterations in all and up to 16 local-search steps (rarely all taken): a mean certified gap
 * of about 0.05% on Gaussian 8:16 (the target is 0.12%) for about 20% less time than 100 iterations
 * over 4 stages up to τ = 200 (0.02%).
 */
export const DEFAULT_TSENOR_OPTIONS: Readonly<TsenorOptions> = Object.freeze({
  tau: 100,
  iterations: 60,
  stages: 3,
  localSearchSteps: 16,
});

export const TRANSPOSABLE_METHODS: readonly TransposableMethod[] = ['exact', 'tsenor', 'greedy'];

/**
 * Upper limits of the TSENOR options. The kernels count iterations and steps in 32-bit integers and
 * compute in f32 (wasm, gpu), so without limits 2^32 + 1 iterations would run as 1 there while the
 * reference honours it. The limits are far beyond any useful setting (the defaults are 60 iterations,
 * 3 stages, 16 steps; τ beyond about 1e4 only costs precision), keep every count exact in i32 and τ
 * finite in f32.
 */
export const TSENOR_LIMITS: Readonly<Record<keyof TsenorOptions, number>> = Object.freeze({
  tau: 1e30,
  iterations: 1_000_000,
  stages: 64,
  localSearchSteps: 1_000_000,
});

/** An integer option in [min, TSENOR_LIMITS[name]]. */
function integerOption(name: keyof TsenorOptions, x: unknown, min: number): number {
  const max = TSENOR_LIMITS[name];
  if (!(typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max)) {
    throw new NmsparseError('E_OPTION', `tsenor.${name} must be an integer from ${min} to ${max}, got ${describeValue(x)}`);
  }
  return x;
}

/** τ in (0, TSENOR_LIMITS.tau]. */
function tauOption(x: unknown): number {
  if (!(typeof x === 'number' && x > 0 && x <= TSENOR_LIMITS.tau)) {
    throw new NmsparseError('E_OPTION', `tsenor.tau must be a number > 0 and ≤ ${TSENOR_LIMITS.tau}, got ${describeValue(x)}`);
  }
  return x;
}

/** Fills in defaults and checks every TSENOR option against its range (TSENOR_LIMITS). */
export function resolveTsenorOptions(partial: Partial<TsenorOptions> | undefined): TsenorOptions {
  rejectUnknownKeys(optionsObject(partial, 'tsenor', true), Object.keys(DEFAULT_TSENOR_OPTIONS), 'tsenor');
  const o = { ...DEFAULT_TSENOR_OPTIONS, ...(partial ?? {}) };
  return {
    tau: tauOption(o.tau),
    iterations: integerOption('iterations', o.iterations, 1),
    stages: integerOption('stages', o.stages, 1),
    localSearchSteps: integerOption('localSearchSteps', o.localSearchSteps, 0),
  };
}

export function validateMethod(method: unknown): asserts method is TransposableMethod {
  if (!TRANSPOSABLE_METHODS.includes(method as TransposableMethod)) {
    throw new NmsparseError(
      'E_OPTION',
      `method must be one of ${TRANSPOSABLE_METHODS.join(', ')}; got ${describeValue(method)}`,
    );
  }
}

/**
 * The largest M each method accepts (M×M tiles for transposable methods, groups of M for standard
 * masks). Standard masks cost O(M) per entry and transposable ones O(M²)–O(M³) per tile, with
 * kernel scratch growing as M² per worker thread (TSENOR: about 80·M² bytes), so unbounded M lets one
 * call run for hours or ask for more memory than wasm32 has (issue 10 #2: M = 4,992 overflowed
 * 32-bit sizes). Measured single-threaded in wasm on a shared 2-core machine: one 1,024×1,024 tile
 * of |Gaussian| scores takes 0.3–0.8 s exact, 0.7–1.9 s TSENOR, 1.1–5.4 s greedy (16:1024 to
 * 512:1024; greedy's repair is the slowest), and a 1,024×4,096 standard mask with M = 4,096 about
 * 4 s (1 µs per entry). Every backend refuses larger M alike (E_LIMIT).
 */
export const MAX_M: Readonly<Record<'standard' | TransposableMethod, number>> = Object.freeze({
  standard: 4096,
  exact: 1024,
  greedy: 1024,
  tsenor: 1024,
});

/** Refuses an M beyond MAX_M for the method (E_LIMIT), before any work. */
export function validateMLimit(m: number, method: 'standard' | TransposableMethod): void {
  const max = MAX_M[method];
  if (m > max) {
    const what = method === 'standard' ? 'standard masks' : `the ${method} method`;
    throw new NmsparseError('E_LIMIT', `M = ${m} is beyond the limit of ${what} (M ≤ ${max})`);
  }
}
