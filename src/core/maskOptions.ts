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

function positiveNumber(name: string, x: unknown, integer: boolean, allowZero = false): number {
  const ok =
    typeof x === 'number' && Number.isFinite(x) && (allowZero ? x >= 0 : x > 0) && (!integer || Number.isInteger(x));
  if (!ok) {
    const what = integer ? (allowZero ? 'a non-negative integer' : 'a positive integer') : 'a positive finite number';
    throw new NmsparseError('E_OPTION', `tsenor.${name} must be ${what}, got ${describeValue(x)}`);
  }
  return x as number;
}

/** Fills in defaults and checks every TSENOR option. */
export function resolveTsenorOptions(partial: Partial<TsenorOptions> | undefined): TsenorOptions {
  rejectUnknownKeys(optionsObject(partial, 'tsenor', true), Object.keys(DEFAULT_TSENOR_OPTIONS), 'tsenor');
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
      `method must be one of ${TRANSPOSABLE_METHODS.join(', ')}; got ${describeValue(method)}`,
    );
  }
}
