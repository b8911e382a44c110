// The public API of nmsparse. Modules inside the package import from each other, never from here.
export { NmsparseError, type NmsparseErrorCode } from './errors.js';
export { toMatrix, type Matrix, type MatrixLike, type Fill } from './matrix.js';
export { scoresFrom, type ScoreKind } from './scores.js';
export {
  standardMask,
  transposableMask,
  type CommonOptions,
  type MaskResult,
  type StandardMaskOptions,
  type TransposableMaskOptions,
  type TransposableMaskResult,
} from './masks.js';
export { certify, type Certificate, type CertifyOptions, type MaskLike } from './certify.js';
export type { Violation } from './validity.js';
export { DEFAULT_TSENOR_OPTIONS } from './options.js';
export {
  listBackends,
  type BackendChoice,
  type BackendInfo,
  type BackendName,
  type Progress,
  type TransposableMethod,
  type TsenorOptions,
} from './backends/backend.js';
