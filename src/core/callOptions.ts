/**
 * Validation of the option objects every public call takes, before any work: the object itself, the
 * AbortSignal, the progress callback and the backend choice. Type errors in user input become
 * NmsparseError (E_OPTION) here, so that nothing else ever sees a value of the wrong type.
 */
import { NmsparseError } from './errors.js';
import { describeValue } from './matrix.js';

/** Checks that `options` is an object (or, when `optional`, undefined) and returns it as a record. */
export function optionsObject(options: unknown, what: string, optional = false): Record<string, unknown> {
  if (options === undefined && optional) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new NmsparseError('E_OPTION', `${what} options must be an object, got ${describeValue(options)}`);
  }
  return options as Record<string, unknown>;
}

/** Checks the fields shared by every call: signal, onProgress, backend. */
export function validateCallOptions(options: Record<string, unknown>, what: string): void {
  const { signal, onProgress, backend } = options;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new NmsparseError('E_OPTION', `${what}: signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new NmsparseError('E_OPTION', `${what}: onProgress must be a function, got ${describeValue(onProgress)}`);
  }
  if (backend !== undefined && typeof backend !== 'string') {
    throw new NmsparseError('E_OPTION', `${what}: backend must be a string such as 'auto' or 'wasm', got ${describeValue(backend)}`);
  }
}

function isAbortSignal(x: unknown): x is AbortSignal {
  if (typeof AbortSignal !== 'undefined' && x instanceof AbortSignal) return true;
  // A signal from another realm (a vm context, a polyfill) has the same shape.
  const s = x as { aborted?: unknown; addEventListener?: unknown } | null;
  return typeof s === 'object' && s !== null && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function';
}

/** Checks that every key of `record` is one of `known` (catches misspelt options). */
export function rejectUnknownKeys(record: Record<string, unknown>, known: readonly string[], what: string): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      throw new NmsparseError('E_OPTION', `${what}: unknown option ${JSON.stringify(key.slice(0, 64))}; known: ${known.join(', ')}`);
    }
  }
}
