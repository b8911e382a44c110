// The nmsparse WebAssembly module: one kernel module per algorithm, re-exported. Kernels work on
// batches the caller writes straight into linear memory; they allocate nothing themselves.

export { standardRows } from './standard';
export { exactTiles, exactScratchBytes } from './exact';

/** First free byte after the module's static data: callers lay out their batches from here. */
export function heapBase(): usize {
  return __heap_base;
}
export { greedyTiles, greedyScratchBytes } from './greedy';
export { tsenorTiles, tsenorScratchBytes } from './tsenor';
export { prox24Groups, prox24ScratchBytes } from './prox24';
export { bandTiles, bandScratchBytes } from './bands';
