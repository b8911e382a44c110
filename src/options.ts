import { NmsparseError } from './errors.js';
import type { TransposableMethod, TsenorOptions } from './backends/backend.js';

/**
 * TSENOR defaults, chosen by measurement (scripts/tune-tsenor.ts; README, "TSENOR defaults"): τ doubles
 * over 4 stages from 25 to 200 (a fixed τ = 50 leaves column-scaled matrices near greedy's gap), 100
 * Dykstra iterations in all (the budget a WASM port runs in about a second on 4096² 8:16), and up to 16
 * local-search steps, which take the mean certified gap on Gaussian 8:16 to about 0.02%.
 */
export const DEFAULT_TSENOR_OPTIONS: Readonly<TsenorOptions> = Object.freeze({
  tau: 200,
  iterations: 100,
  stages: 4,
  localSearchSteps: 16,
});

export const TRANSPOSABLE_METHODS: readonly TransposableMethod[] = ['exact', 'tsenor', 'greedy'];

function positiveNumber(name: string, x: unknown, integer: boolean, allowZero = false): number {
  const ok =
    typeof x === 'number' && Number.isFinite(x) && (allowZero ? x >= 0 : x > 0) && (!integer || Number.isInteger(x));
  if (!ok) {
    const what = integer ? (allowZero ? 'a non-negative integer' : 'a positive integer') : 'a positive finite number';
    throw new NmsparseError('E_OPTION', `tsenor.${name} must be ${what}, got ${JSON.stringify(x)}`);
  }
  return x as number;
}

/** Fills in defaults and checks every TSENOR option. */
export function resolveTsenorOptions(partial: Partial<TsenorOptions> | undefined): TsenorOptions {
  const o = { ...DEFAULT_TSENOR_OPTIONS, ...(partial ?? {}) };
  return {
    tau: positiveNumber('tau', o.tau, false),
    iterations: positiveNumber('iterations', o.iterations, true),
    stages: positiveNumber('stages', o.stages, true),
    localSearchSteps: positiveNumber('localSearchSteps', o.localSearchSteps, true, true),
  };
}

export function validateMethod(method: unknown): asserts method is TransposableMethod {
  if (!TRANSPOSABLE_METHODS.includes(method as TransposableMethod)) {
    throw new NmsparseError(
      'E_OPTION',
      `method must be one of ${TRANSPOSABLE_METHODS.join(', ')}; got ${JSON.stringify(method)}`,
    );
  }
}
