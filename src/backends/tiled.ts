/**
 * The transposableMatrix kernel for backends that solve tile batches only (reference, gpu): gather the
 * M×M tiles into a batch, run the backend's tile kernel through the dispatcher (so a kernel the backend
 * lacks falls back and is recorded as such), scatter the tile masks back. The objective is summed in
 * tile order; the exact bound is the reference's LP-dual bound of the returned potentials.
 */
import { gatherTiles, maskedSum, scatterTiles } from '../core/matrix.js';
import type { BackendName, TileBatch } from '../core/types.js';
import { batchUpperBound } from '../reference/dualBound.js';
import { registerKernel, runKernel } from './registry.js';

export function registerTiledTransposable(backend: BackendName): void {
  registerKernel('transposableMatrix', backend, async ({ scores, n, m, method, fill, tsenor, out }, ctx) => {
    const batch: TileBatch = { tiles: gatherTiles(scores, m), count: (scores.rows / m) * (scores.cols / m), m };
    const entries = batch.tiles.length;
    let tileMask: Uint8Array;
    let upperBound: number | undefined;
    if (method === 'exact') {
      const solution = (await runKernel('exactTiles', backend, entries, { batch, n, fill }, ctx)).value;
      tileMask = solution.mask;
      upperBound = batchUpperBound(batch, n, fill, solution);
    } else if (method === 'greedy') {
      tileMask = (await runKernel('greedyTiles', backend, entries, { batch, n, fill }, ctx)).value;
    } else {
      tileMask = (await runKernel('tsenorTiles', backend, entries, { batch, n, fill, options: tsenor }, ctx)).value;
    }
    const objective = maskedSum(batch.tiles, tileMask);
    const mask = scatterTiles(tileMask, scores.rows, scores.cols, m, out);
    return upperBound === undefined ? { mask, objective } : { mask, objective, upperBound };
  });
}
