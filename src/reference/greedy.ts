import { repairTile, tileState, type TileState } from './localSearch.js';
import type { Fill, TileBatch } from '../core/types.js';

/**
 * Greedy selection on the tile at `state.base`: entries in descending `priority` (ties: lower row-major
 * index) are kept while their row and column still have room. Under fill 'atMost' entries with score
 * ≤ 0 are never kept. `priority` is indexed like the tile (offset `priorityBase`); `order` is scratch
 * of length m·m. The tile's mask is overwritten and its counts are left up to date.
 */
export function greedySelect(
  state: TileState,
  priority: ArrayLike<number>,
  priorityBase: number,
  order: Int32Array,
): void {
  const { scores, mask, base, m, n, fill, rowCount, colCount } = state;
  const size = m * m;
  for (let k = 0; k < size; k++) order[k] = k;
  order.sort((x, y) => {
    const d = (priority[priorityBase + y]) - (priority[priorityBase + x]);
    return d !== 0 ? d : x - y;
  });
  mask.fill(0, base, base + size);
  rowCount.fill(0);
  colCount.fill(0);
  let kept = 0;
  for (let k = 0; k < size && kept < m * n; k++) {
    const e = order[k];
    const i = Math.floor(e / m);
    const j = e - i * m;
    if ((rowCount[i]) >= n || (colCount[j]) >= n) continue;
    if (fill === 'atMost' && !((scores[base + e]) > 0)) continue;
    mask[base + e] = 1;
    rowCount[i]++;
    colCount[j]++;
    kept++;
  }
}

/**
 * Greedy transposable masks (Hubara et al. 2021, a 2-approximation) for tiles [start, end): entries
 * in descending score while the row and column have room, ties toward the lower row-major index.
 * Under fill 'atMost' that raw greedy is the result; under 'exact' an under-filled tile is completed
 * by the local-search repair, so every tile is full.
 */
export function greedyTiles(batch: TileBatch, n: number, fill: Fill, start: number, end: number, out: Uint8Array): void {
  const { m, tiles } = batch;
  const state = tileState(tiles, out, m, n, fill);
  const order = new Int32Array(m * m);
  for (let t = start; t < end; t++) {
    state.base = t * m * m;
    greedySelect(state, tiles, state.base, order);
    if (fill === 'exact') repairTile(state, 0);
  }
}
