/**
 * Every failure nmsparse reports on purpose is an NmsparseError with a stable `code`, so callers
 * can branch on the kind of failure without parsing messages.
 */
export type NmsparseErrorCode =
  /** N and M are not integers with 1 ≤ N < M (or not supported by the method). */
  | 'E_PATTERN'
  /** A shape is wrong: not 2-D, not a multiple of M, lengths that do not match. */
  | 'E_SHAPE'
  /** A value is NaN or ±Infinity where finite numbers are required. */
  | 'E_NONFINITE'
  /** An option has an unknown or out-of-range value. */
  | 'E_OPTION'
  /** A size beyond a documented limit (M for a method, memory a kernel would need). */
  | 'E_LIMIT'
  /** A dtype that is not supported for this use. */
  | 'E_DTYPE'
  /** A file is malformed (npy header, safetensors header, truncated data, ...). */
  | 'E_FORMAT'
  /** A file could not be read or written. */
  | 'E_IO'
  /** The requested backend is not available here. */
  | 'E_BACKEND'
  /** The work was cancelled through an AbortSignal. */
  | 'E_ABORTED'
  /** A mask is not a valid 0/1 mask of the right shape. */
  | 'E_MASK'
  /** A matrix that must be positive definite (a damped Hessian) is singular or indefinite. */
  | 'E_SINGULAR';

export class NmsparseError extends Error {
  readonly code: NmsparseErrorCode;

  constructor(code: NmsparseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NmsparseError';
    this.code = code;
  }
}

/** Throws E_ABORTED when the signal has fired; call between chunks of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new NmsparseError('E_ABORTED', 'the operation was cancelled (AbortSignal fired)', {
      cause: signal.reason,
    });
  }
}
