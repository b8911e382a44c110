/**
 * Brute force: the best transposable mask of every tile by exhaustive search over all feasible 0/1
 * tiles (M ≤ 5), the test oracle for the exact solver. The search goes row by row; partial tiles whose
 * rows fill the columns to the same counts share their best completion (memoised), so every feasible
 * tile is covered while M = 5 stays fast.
 *
 * Ties: of the optimal tiles, the first in row-major order where a kept entry comes before a dropped
 * one (compare the masks entry by entry; the first difference decides, 1 before 0).
 */
import { NmsparseError } from '../../src/core/errors.js';
import { validateFill, validatePattern } from '../../src/core/matrix.js';
import type { Fill, TileBatch } from '../../src/core/types.js';

/** The largest tile size brute force accepts. */
export const BRUTEFORCE_MAX_M = 5;

function popcount(x: number): number {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

/**
 * The row patterns a tile row may take, in tie-break order: as bit strings with column 0 first,
 * from largest to smallest (so 1100 comes before 1010 before 0110 ...). Bit (m − 1 − j) is column j.
 */
function rowPatterns(m: number, n: number, fill: Fill): number[] {
  const out: number[] = [];
  for (let pattern = (1 << m) - 1; pattern >= 0; pattern--) {
    const kept = popcount(pattern);
    if (fill === 'exact' ? kept === n : kept <= n) out.push(pattern);
  }
  return out;
}

function kept(pattern: number, m: number, j: number): boolean {
  return ((pattern >> (m - 1 - j)) & 1) === 1;
}

/** One tile: best completion for (row, column counts), column counts encoded in base n + 1. */
class TileSearch {
  private readonly best: Float64Array;
  private readonly choice: Int32Array;
  private readonly stateCount: number;

  constructor(
    private readonly a: Float32Array,
    private readonly offset: number,
    private readonly m: number,
    private readonly n: number,
    private readonly fill: Fill,
    private readonly patterns: readonly number[],
  ) {
    this.stateCount = (n + 1) ** m;
    this.best = new Float64Array((m + 1) * this.stateCount).fill(NaN);
    this.choice = new Int32Array((m + 1) * this.stateCount).fill(-1);
  }

  private rowValue(row: number, pattern: number): number {
    let s = 0;
    for (let j = 0; j < this.m; j++) if (kept(pattern, this.m, j)) s += this.a[this.offset + row * this.m + j] as number;
    return s;
  }

  /** The state after adding `pattern`, or −1 when a column would exceed N. */
  private next(state: number, pattern: number): number {
    let out = state;
    let place = 1;
    for (let j = 0; j < this.m; j++, place *= this.n + 1) {
      if (!kept(pattern, this.m, j)) continue;
      if (Math.floor(state / place) % (this.n + 1) === this.n) return -1;
      out += place;
    }
    return out;
  }

  /** The best objective of rows row … m−1 given the column counts so far (−Infinity: infeasible). */
  bestFrom(row: number, state: number): number {
    const key = row * this.stateCount + state;
    const known = this.best[key] as number;
    if (!Number.isNaN(known)) return known;
    let value = -Infinity;
    if (row === this.m) {
      // Under 'exact' every column must end with exactly N.
      value = this.fill === 'atMost' || state === this.stateCount - 1 ? 0 : -Infinity;
    } else {
      for (let k = 0; k < this.patterns.length; k++) {
        const pattern = this.patterns[k] as number;
        const after = this.next(state, pattern);
        if (after < 0) continue;
        const total = this.rowValue(row, pattern) + this.bestFrom(row + 1, after);
        if (total > value) {
          value = total;
          this.choice[key] = pattern;
        }
      }
    }
    this.best[key] = value;
    return value;
  }

  /** Writes the optimal mask (in tie-break order) into mask[offset …]. */
  writeMask(mask: Uint8Array): void {
    this.bestFrom(0, 0);
    let state = 0;
    for (let row = 0; row < this.m; row++) {
      const pattern = this.choice[row * this.stateCount + state] as number;
      for (let j = 0; j < this.m; j++) mask[this.offset + row * this.m + j] = kept(pattern, this.m, j) ? 1 : 0;
      state = this.next(state, pattern);
    }
  }
}

/**
 * The optimal transposable mask of every tile in the batch by exhaustive search (M ≤ 5 only), and each
 * tile's objective (Σ kept scores in row-major order, f64).
 */
export function bruteforceTiles(batch: TileBatch, n: number, fill: Fill): { mask: Uint8Array; objectives: Float64Array } {
  validatePattern(n, batch.m);
  validateFill(fill);
  const { m, count, tiles } = batch;
  if (m > BRUTEFORCE_MAX_M) {
    throw new NmsparseError('E_PATTERN', `brute force handles M ≤ ${BRUTEFORCE_MAX_M} only, got M = ${m}; use the exact solver`);
  }
  const patterns = rowPatterns(m, n, fill);
  const mask = new Uint8Array(count * m * m);
  const objectives = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    const offset = t * m * m;
    new TileSearch(tiles, offset, m, n, fill, patterns).writeMask(mask);
    let objective = 0;
    for (let k = offset; k < offset + m * m; k++) if (mask[k]) objective += tiles[k] as number;
    objectives[t] = objective;
  }
  return { mask, objectives };
}
