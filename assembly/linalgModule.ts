// The pruners' linear algebra module (build/nmsparse-linalg[-threads].wasm): the kernels of
// assembly/linalg.ts with their own argument lists (matrix shapes, strides, α, β), outside the mask
// kernels' settings-block ABI. Kernels work on arrays the caller lays out in linear memory.

export { gemmPackB, microKernel, gemmPackedBytes, gemmRows, gemmScratchBytes, choleskyDiagonalBlock, upperGram } from './linalg';
export { refitRows, refitScratchBytes } from './refit';
export { obsBlockRows, obsScratchBytes } from './obs';
export { choleskyPanelRows, choleskyUpdateRows, inverseBlockRows, inverseDiagonalBlock } from './blockedFactor';

/** First free byte after the module's static data: callers lay out their arrays from here. */
export function heapBase(): usize {
  return __heap_base;
}
