// The public API of nmsparse, the same from every package entry (src/index.ts for Node, src/web.ts for
// browsers and bundlers, src/edge.ts for Workers and edge runtimes). Modules inside the package import
// from each other, never from here.
export { NmsparseError, type NmsparseErrorCode } from './core/errors.js';
export { toMatrix, type Matrix, type MatrixLike } from './core/matrix.js';
export type { BackendChoice, BackendName, Fill, Progress, TransposableMethod, TsenorOptions } from './core/types.js';
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
export { certify, type Certificate, type CertifyOptions, type MaskLike } from './verify/certify.js';
export type { Violation } from './verify/validity.js';
export { DEFAULT_TSENOR_OPTIONS, MAX_M, TSENOR_LIMITS } from './core/maskOptions.js';
export { configureWasm, warmUpWasm, type WasmOptions, type WasmSettings } from './backends/wasm.js';
export type { WasmSource } from './backends/wasmSource.js';
export { configureGpu, releaseGpu, type GpuSettings } from './backends/gpu.js';
export {
  listBackends,
  KERNEL_CONTRACTS,
  type BackendInfo,
  type KernelName,
  type ListBackendsOptions,
} from './backends/registry.js';
export { prox24, reg24, type Prox24Options, type Prox24Result } from './prune/prox.js';
export { pruneLayer } from './prune/pruneLayer.js';
export { pruneLayer24 } from './prune/pruneLayer24.js';
export { magnitudePrune24, wandaPrune24 } from './prune/baselines.js';
export {
  DEFAULT_LAYER_OPTIONS,
  DEFAULT_PRUNE_OPTIONS,
  type LayerMethod,
  type PruneHistoryEntry,
  type PruneLayerOptions,
  type PruneMethod,
  type PruneOptions,
  type PruneResult,
  type ProxPruneOptions,
} from './prune/pruneOptions.js';
export type { InputLayout, LayerData } from './prune/problem.js';
export type { UpdateMethod } from './prune/update.js';
