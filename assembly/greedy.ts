// Greedy transposable tiles (Hubara et al. 2021): entries in descending score (ties: lower index)
// while row and column have room; under exact fill completed by the local-search repair.

import { greedySelect, repairTile, roundingBytes, roundingLayout, roundingTile } from './localSearch';

/** Bytes of scratch one greedyTiles call needs for M = m. */
export function greedyScratchBytes(m: i32): i32 {
  return roundingBytes(m);
}

/** Tiles [start, end) of a batch (`tiles` f32, m·m each) into `mask` (u8, m·m each). */
export function greedyTiles(tiles: usize, m: i32, n: i32, atMost: i32, start: i32, end: i32, mask: usize, scratch: usize): void {
  roundingLayout(m, n, atMost != 0, scratch);
  const sq = m * m;
  for (let t = start; t < end; t++) {
    const scores = tiles + (<usize>t * sq << 2);
    roundingTile(scores, mask + <usize>t * sq);
    greedySelect(scores);
    if (atMost == 0) repairTile(0);
  }
}
