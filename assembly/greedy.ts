// Greedy transposable tiles (Hubara et al. 2021): entries in descending score (ties: lower index)
// while row and column have room; under exact fill completed by the local-search repair.

import { Settings } from './abi';
import { greedySelect, repairTile, roundingLayout, roundingTile } from './localSearch';
import { layoutAt, layoutEnd } from './scratch';

/** Takes the kernel's work arrays from the current layout (scratch.ts). */
export function greedyLayout(s: Settings): void {
  roundingLayout(s);
}

/** Bytes of scratch one greedyTiles call needs. */
export function greedyTilesScratchBytes(s: Settings): f64 {
  layoutAt(0);
  greedyLayout(s);
  return layoutEnd();
}

/** Tiles [start, end) of a batch (`tiles` f32, m·m each) into `mask` (u8, m·m each). */
export function greedyTiles(s: Settings, start: i32, end: i32, tiles: usize, mask: usize, scratch: usize): void {
  layoutAt(scratch);
  greedyLayout(s);
  const sq = s.m * s.m;
  const atMost = s.atMost != 0;
  for (let t = start; t < end; t++) {
    const scores = tiles + (<usize>t * sq << 2);
    roundingTile(scores, mask + <usize>t * sq);
    greedySelect(scores);
    if (!atMost) repairTile(0);
  }
}
