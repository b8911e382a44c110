/**
 * The LP-dual upper bound of transposable tiles (docs/design.md, "The certificate"). The spec of the
 * bound the exact kernels report with their solutions, and what the verifier recomputes from the
 * scores and potentials so that it trusts no solver.
 */
import type { Fill, ExactSolution, TileBatch } from '../core/types.js';

/**
 * LP-dual upper bound of one tile for any potentials (u, v):
 *   UB = N·Σu + N·Σv + Σ max(0, s_ij − u_i − v_j),
 * which bounds every feasible mask's objective from above. Under fill `atMost` the bound needs u, v ≥ 0,
 * so negative potentials are clamped to 0 (that keeps the bound valid whatever the solver returned).
 * `columnScratch` (m values) holds the tile's clamped column potentials; pass one to reuse it.
 */
export function tileUpperBound(
  tiles: Float32Array,
  tile: number,
  m: number,
  n: number,
  fill: Fill,
  u: Float64Array,
  v: Float64Array,
  columnScratch: Float64Array = new Float64Array(m),
): number {
  const base = tile * m;
  const floor = fill === 'atMost' ? 0 : -Infinity;
  const vt = columnScratch;
  let potentials = 0;
  for (let i = 0; i < m; i++) {
    const vi = Math.max(floor, v[base + i]);
    vt[i] = vi;
    potentials += Math.max(floor, u[base + i]) + vi;
  }
  // Four partial sums by column j mod 4, added as (s0 + s1) + (s2 + s3): independent add chains, and
  // the order the wasm kernel sums in, so both give the same bits.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < m; i++) {
    const ui = Math.max(floor, u[base + i]);
    const row = (base + i) * m;
    let j = 0;
    for (; j + 3 < m; j += 4) {
      s0 += Math.max(0, (tiles[row + j]) - ui - (vt[j]));
      s1 += Math.max(0, (tiles[row + j + 1]) - ui - (vt[j + 1]));
      s2 += Math.max(0, (tiles[row + j + 2]) - ui - (vt[j + 2]));
      s3 += Math.max(0, (tiles[row + j + 3]) - ui - (vt[j + 3]));
    }
    // The last m mod 4 columns (j ≡ 0, 1, 2 mod 4).
    for (let r = 0; j < m; j++, r++) {
      const x = Math.max(0, (tiles[row + j]) - ui - (vt[j]));
      if (r === 0) s0 += x;
      else if (r === 1) s1 += x;
      else s2 += x;
    }
  }
  return n * potentials + (s0 + s1 + (s2 + s3));
}

/**
 * Σ over tiles of the LP-dual upper bound of an exact solution's potentials: the backend's own sum
 * when it computed one with the solve (the same formula, tested equal), else computed here.
 */
export function batchUpperBound(batch: TileBatch, n: number, fill: Fill, solution: ExactSolution): number {
  return solution.upperBound ?? recomputedUpperBound(batch, n, fill, solution);
}

/**
 * The same bound always computed here from the scores and potentials: what the verifier reports.
 * `start` carries the running total of earlier tiles when a matrix is certified band by band.
 */
export function recomputedUpperBound(batch: TileBatch, n: number, fill: Fill, solution: ExactSolution, start = 0): number {
  const columnScratch = new Float64Array(batch.m);
  let total = start;
  for (let t = 0; t < batch.count; t++) {
    total += tileUpperBound(batch.tiles, t, batch.m, n, fill, solution.u, solution.v, columnScratch);
  }
  return total;
}

/**
 * Relative gap (UB − objective)/|UB|, 0 when both are 0. Differences within f64 rounding of the sums
 * (1e-12 relative) count as 0, so an optimal mask reports exactly 0 rather than ±1e-17.
 */
export function relativeGap(upperBound: number, objective: number): number {
  const diff = upperBound - objective;
  const scale = Math.max(Math.abs(upperBound), Math.abs(objective));
  if (scale === 0 || Math.abs(diff) <= 1e-12 * scale) return 0;
  return diff / Math.abs(upperBound || scale);
}
