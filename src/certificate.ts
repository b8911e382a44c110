import type { ExactSolution, TileBatch } from './backends/backend.js';
import type { Fill } from './matrix.js';

/**
 * LP-dual upper bound of one tile for any potentials (u, v):
 *   UB = N·Σu + N·Σv + Σ max(0, s_ij − u_i − v_j),
 * which bounds every feasible mask's objective from above. Under fill `atMost` the bound needs u, v ≥ 0,
 * so negative potentials are clamped to 0 (that keeps the bound valid whatever the solver returned).
 */
export function tileUpperBound(
  tiles: Float32Array,
  tile: number,
  m: number,
  n: number,
  fill: Fill,
  u: Float64Array,
  v: Float64Array,
): number {
  const base = tile * m;
  const floor = fill === 'atMost' ? 0 : -Infinity;
  if (columnPotentials.length < m) columnPotentials = new Float64Array(m);
  const vt = columnPotentials;
  let potentials = 0;
  for (let i = 0; i < m; i++) {
    const vi = Math.max(floor, v[base + i] as number);
    vt[i] = vi;
    potentials += Math.max(floor, u[base + i] as number) + vi;
  }
  let slack = 0;
  let k = base * m;
  for (let i = 0; i < m; i++) {
    const ui = Math.max(floor, u[base + i] as number);
    for (let j = 0; j < m; j++, k++) slack += Math.max(0, (tiles[k] as number) - ui - (vt[j] as number));
  }
  return n * potentials + slack;
}

/** One tile's (clamped) column potentials, reused from tile to tile. */
let columnPotentials = new Float64Array(32);

/**
 * Σ over tiles of the LP-dual upper bound of an exact solution's potentials: the backend's own sum
 * when it computed one with the solve (the same formula, tested equal), else computed here.
 */
export function batchUpperBound(batch: TileBatch, n: number, fill: Fill, solution: ExactSolution): number {
  return solution.upperBound ?? recomputedUpperBound(batch, n, fill, solution);
}

/** The same bound always computed here from the scores and potentials: what the verifier reports. */
export function recomputedUpperBound(batch: TileBatch, n: number, fill: Fill, solution: ExactSolution): number {
  let total = 0;
  for (let t = 0; t < batch.count; t++) {
    total += tileUpperBound(batch.tiles, t, batch.m, n, fill, solution.u, solution.v);
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
