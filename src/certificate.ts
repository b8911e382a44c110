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
  const clamp = fill === 'atMost';
  const base = tile * m;
  let potentials = 0;
  for (let i = 0; i < m; i++) {
    const ui = u[base + i] as number;
    const vi = v[base + i] as number;
    potentials += clamp ? Math.max(0, ui) + Math.max(0, vi) : ui + vi;
  }
  let slack = 0;
  for (let i = 0; i < m; i++) {
    const ui = clamp ? Math.max(0, u[base + i] as number) : (u[base + i] as number);
    const row = (base + i) * m;
    for (let j = 0; j < m; j++) {
      const vj = clamp ? Math.max(0, v[base + j] as number) : (v[base + j] as number);
      const r = (tiles[row + j] as number) - ui - vj;
      if (r > 0) slack += r;
    }
  }
  return n * potentials + slack;
}

/** Σ over tiles of the LP-dual upper bound of an exact solution's potentials. */
export function batchUpperBound(batch: TileBatch, n: number, fill: Fill, solution: ExactSolution): number {
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
