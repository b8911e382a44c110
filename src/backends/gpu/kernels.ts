/**
 * gpu.js kernel functions. gpu.js translates their source text to WGSL, so they use only what it
 * supports: numbers, `this.thread`, `this.constants`, indexing of kernel arguments, Math, for loops
 * with a distinct variable each. One thread computes one entry: x = column, y = row, z = tile.
 * Log-domain values are clamped to ±LOG_LIMIT so that no sum or difference of them overflows f32.
 */

export interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: Record<string, number>;
}

export type Tiles = number[][][];

/** Greedy status of an entry: still open, kept, or dropped. */
export const OPEN = 0;
export const KEPT = 1;
export const DROPPED = 2;

/** Standard N:M over groups (y = group, x = entry): kept when fewer than N of the group beat it. */
export function standardKernel(this: KernelThis, s: number[][], n: number, m: number): number {
  const g = this.thread.y;
  const j = this.thread.x;
  const x = s[g][j];
  let beaten = 0;
  for (let k = 0; k < m; k++) {
    const y = s[g][k];
    if (y > x || (y === x && k < j)) beaten++;
  }
  if (beaten < n) return 1;
  return 0;
}

/**
 * One round of greedy selection (entries in descending priority, ties toward the lower row-major
 * index, kept while the row and column have room). An open entry is decided as soon as the entries
 * before it in its row and column force the answer: dropped when its row or column already holds N
 * kept entries, kept when even keeping every open entry before it would leave room. The first open
 * entry of a tile is always decided, so rounds end; the result is the sequential greedy's.
 * Constant `atMost`: entries with score ≤ 0 are never kept.
 */
export function greedyRoundKernel(
  this: KernelThis,
  priority: Tiles,
  scores: Tiles,
  status: Tiles,
  n: number,
  m: number,
): number {
  const t = this.thread.z;
  const i = this.thread.y;
  const j = this.thread.x;
  const own = status[t][i][j];
  if (own > 0) return own;
  if (this.constants.atMost > 0 && !(scores[t][i][j] > 0)) return 2;
  const x = priority[t][i][j];
  let rowKept = 0;
  let rowOpen = 0;
  for (let c = 0; c < m; c++) {
    const y = priority[t][i][c];
    if (y > x || (y === x && c < j)) {
      const s = status[t][i][c];
      if (s === 1) rowKept++;
      if (s === 0) rowOpen++;
    }
  }
  let colKept = 0;
  let colOpen = 0;
  for (let r = 0; r < m; r++) {
    const y = priority[t][r][j];
    if (y > x || (y === x && r < i)) {
      const s = status[t][r][j];
      if (s === 1) colKept++;
      if (s === 0) colOpen++;
    }
  }
  if (rowKept >= n || colKept >= n) return 2;
  if (rowKept + rowOpen < n && colKept + colOpen < n) return 1;
  return 0;
}

/** Per tile row (x = row, y = tile): logsumexp of log S over the row. */
export function rowLogSumKernel(this: KernelThis, logS: Tiles, m: number): number {
  const t = this.thread.y;
  const i = this.thread.x;
  let top = logS[t][i][0];
  for (let a = 1; a < m; a++) top = Math.max(top, logS[t][i][a]);
  let sum = 0;
  for (let b = 0; b < m; b++) sum += Math.exp(logS[t][i][b] - top);
  return top + Math.log(sum);
}

/** Per tile column (x = column, y = tile): logsumexp over the column of the row-normalised log S. */
export function columnLogSumKernel(this: KernelThis, logS: Tiles, rowSum: number[][], m: number): number {
  const t = this.thread.y;
  const j = this.thread.x;
  let top = logS[t][0][j] - rowSum[t][0];
  for (let a = 1; a < m; a++) top = Math.max(top, logS[t][a][j] - rowSum[t][a]);
  let sum = 0;
  for (let b = 0; b < m; b++) sum += Math.exp(logS[t][b][j] - rowSum[t][b] - top);
  return top + Math.log(sum);
}

/**
 * One Dykstra iteration's scalings and box step, in log domain: the row and column scalings give
 * log S − rowSum − columnSum + log N; with log Q added that is P, the new log S is min(P, 0) and the
 * new log Q is max(P, 0) (constant `upper` selects which this kernel returns).
 */
export function boxKernel(
  this: KernelThis,
  logS: Tiles,
  logQ: Tiles,
  rowSum: number[][],
  columnSum: number[][],
  logN: number,
): number {
  const t = this.thread.z;
  const i = this.thread.y;
  const j = this.thread.x;
  const p = logS[t][i][j] - rowSum[t][i] - columnSum[t][j] + logN + logQ[t][i][j];
  if (this.constants.upper > 0) return Math.min(this.constants.limit, Math.max(p, 0));
  return Math.max(-this.constants.limit, Math.min(p, 0));
}

/** Multiplies every entry by `factor` (a τ stage change: S^r and Q^r in log domain). */
export function scaleKernel(this: KernelThis, x: Tiles, factor: number): number {
  const v = x[this.thread.z][this.thread.y][this.thread.x] * factor;
  return Math.max(-this.constants.limit, Math.min(this.constants.limit, v));
}

/** All zeros (the initial log Q and the initial greedy status). */
export function zeroKernel(this: KernelThis): number {
  return 0 * this.thread.x;
}
