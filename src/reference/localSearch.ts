import type { Fill } from '../core/types.js';

/**
 * One M×M tile being rounded: its scores and its mask live in batch-sized arrays at offset `base`
 * (row-major), with the row and column counts kept beside them.
 */
export interface TileState {
  scores: Float32Array;
  mask: Uint8Array;
  base: number;
  m: number;
  n: number;
  fill: Fill;
  rowCount: Int32Array;
  colCount: Int32Array;
}

/** Scratch state for tiles of size m (the counts are reused from tile to tile). */
export function tileState(scores: Float32Array, mask: Uint8Array, m: number, n: number, fill: Fill): TileState {
  return { scores, mask, base: 0, m, n, fill, rowCount: new Int32Array(m), colCount: new Int32Array(m) };
}

/** Recounts the kept entries of every row and column of the tile at `state.base`. */
export function countTile(state: TileState): void {
  const { mask, base, m, rowCount, colCount } = state;
  rowCount.fill(0);
  colCount.fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (mask[base + i * m + j]) {
        rowCount[i]++;
        colCount[j]++;
      }
    }
  }
}

function setEntry(state: TileState, i: number, j: number, keep: 0 | 1): void {
  state.mask[state.base + i * state.m + j] = keep;
  const d = keep ? 1 : -1;
  state.rowCount[i] += d;
  state.colCount[j] += d;
}

/** setEntry by the entry's index in the batch. */
function setAt(state: TileState, k: number, keep: 0 | 1): void {
  const e = k - state.base;
  setEntry(state, Math.floor(e / state.m), e % state.m, keep);
}

/** Under fill 'atMost' an entry is worth adding only when its score is positive. */
function addable(state: TileState, score: number): boolean {
  return state.fill === 'exact' || score > 0;
}

/**
 * Adds the best free entry (i, j) whose row and column are both under-filled (ties: lower row-major
 * index). Returns false when there is none.
 */
function addFreeEntry(state: TileState): boolean {
  const { scores, mask, base, m, n, rowCount, colCount } = state;
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < m; i++) {
    if (rowCount[i] >= n) continue;
    for (let j = 0; j < m; j++) {
      if (colCount[j] >= n || mask[base + i * m + j]) continue;
      const s = scores[base + i * m + j];
      if (addable(state, s) && (best < 0 || s > bestScore)) {
        best = i * m + j;
        bestScore = s;
      }
    }
  }
  if (best < 0) return false;
  setEntry(state, Math.floor(best / m), best % m, 1);
  return true;
}

/**
 * For an under-filled row i and column j, the best swap: remove a kept (i', j') with (i, j') and
 * (i', j) free, add (i, j') and (i', j); one more entry kept, gain s[i,j'] + s[i',j] − s[i',j'].
 * Under fill 'exact' the best swap is taken whatever its gain (the tile must become full); under
 * 'atMost' only a positive gain that adds positive scores. Ties: first in (i, j, i', j') order.
 * Returns false when there is no admissible swap.
 */
function bestSwap(state: TileState): boolean {
  const { scores, mask, base, m, n, rowCount, colCount } = state;
  let bestGain = state.fill === 'exact' ? -Infinity : 0;
  let found = false;
  let bi = 0;
  let bj = 0;
  let bi2 = 0;
  let bj2 = 0;
  for (let i = 0; i < m; i++) {
    if (rowCount[i] >= n) continue;
    for (let j = 0; j < m; j++) {
      if (colCount[j] >= n) continue;
      for (let i2 = 0; i2 < m; i2++) {
        if (mask[base + i2 * m + j]) continue;
        const sIn2 = scores[base + i2 * m + j];
        if (!addable(state, sIn2)) continue;
        for (let j2 = 0; j2 < m; j2++) {
          if (!mask[base + i2 * m + j2] || mask[base + i * m + j2]) continue;
          const sIn1 = scores[base + i * m + j2];
          if (!addable(state, sIn1)) continue;
          const gain = sIn1 + sIn2 - (scores[base + i2 * m + j2]);
          if (gain > bestGain) {
            found = true;
            bestGain = gain;
            bi = i;
            bj = j;
            bi2 = i2;
            bj2 = j2;
          }
        }
      }
    }
  }
  if (!found) return false;
  setEntry(state, bi2, bj2, 0);
  setEntry(state, bi, bj2, 1);
  setEntry(state, bi2, bj, 1);
  return true;
}

/** One repair step: add a free entry, else swap. Returns false when neither applies. */
function repairStep(state: TileState): boolean {
  return addFreeEntry(state) || bestSwap(state);
}

/**
 * Fills under-filled rows and columns by adds and swaps (docs/design.md, "Local search"). Under fill 'exact'
 * it always runs until the tile is full, whatever the budget: when no free under-filled pair exists,
 * every column that row i leaves free is full, and at most N−2 of its N entries lie in rows that share
 * column j with row i, so a swap always exists. Under 'atMost' it stops after `budget` steps or when
 * no step gains. Returns the number of steps taken.
 */
export function repairTile(state: TileState, budget: number): number {
  let steps = 0;
  if (state.fill === 'exact') {
    let deficit = 0;
    for (let i = 0; i < state.m; i++) deficit += state.n - (state.rowCount[i]);
    for (; deficit > 0; deficit--, steps++) {
      if (!repairStep(state)) throw new Error('nmsparse internal error: repair found no step on an under-filled tile');
    }
    return steps;
  }
  while (steps < budget && repairStep(state)) steps++;
  return steps;
}

/**
 * The best 2×2 exchange: kept (i, j) and (i', j') with (i, j') and (i', j) free become (i, j') and
 * (i', j); counts are unchanged. For a pair of rows the two column choices are independent, so the
 * best exchange costs O(M³). Applies it when it gains; returns whether it did.
 */
function bestExchange(state: TileState): boolean {
  const { scores, mask, base, m } = state;
  let bestGain = 0;
  let found = false;
  let bi = 0;
  let bj = 0;
  let bi2 = 0;
  let bj2 = 0;
  for (let i = 0; i < m; i++) {
    const ri = base + i * m;
    for (let i2 = i + 1; i2 < m; i2++) {
      const ri2 = base + i2 * m;
      // j leaves row i for row i2; j2 leaves row i2 for row i.
      let gainJ = -Infinity;
      let gainJ2 = -Infinity;
      let j = -1;
      let j2 = -1;
      for (let c = 0; c < m; c++) {
        const inI = mask[ri + c];
        if (inI === mask[ri2 + c]) continue;
        const from = inI ? ri : ri2;
        const to = inI ? ri2 : ri;
        const sTo = scores[to + c];
        if (!addable(state, sTo)) continue;
        const g = sTo - (scores[from + c]);
        if (inI && g > gainJ) {
          gainJ = g;
          j = c;
        } else if (!inI && g > gainJ2) {
          gainJ2 = g;
          j2 = c;
        }
      }
      if (j < 0 || j2 < 0) continue;
      const gain = gainJ + gainJ2;
      if (gain > bestGain) {
        found = true;
        bestGain = gain;
        bi = i;
        bj = j;
        bi2 = i2;
        bj2 = j2;
      }
    }
  }
  if (!found) return false;
  setEntry(state, bi, bj, 0);
  setEntry(state, bi2, bj2, 0);
  setEntry(state, bi, bj2, 1);
  setEntry(state, bi2, bj, 1);
  return true;
}

/**
 * Under fill 'atMost' only: the best move of one kept entry along its row or its column into a line
 * that has room, (i, j) → (i, c) or (i, j) → (c, j). Applies it when it gains; returns whether it did.
 */
function bestShift(state: TileState): boolean {
  const { scores, mask, base, m, n, rowCount, colCount } = state;
  let bestGain = 0;
  let from = -1;
  let to = -1;
  const consider = (k: number, target: number): void => {
    if (mask[target]) return;
    const gain = (scores[target]) - (scores[k]);
    if (gain > bestGain) {
      bestGain = gain;
      from = k;
      to = target;
    }
  };
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const k = base + i * m + j;
      if (!mask[k]) continue;
      for (let c = 0; c < m; c++) {
        if ((colCount[c]) < n) consider(k, base + i * m + c);
        if ((rowCount[c]) < n) consider(k, base + c * m + j);
      }
    }
  }
  if (from < 0) return false;
  setAt(state, from, 0);
  setAt(state, to, 1);
  return true;
}

/**
 * Under fill 'atMost' only: the reverse of a repair swap. Kept (i, j') and (i', j) give way to one free
 * (i', j') between them, gain s[i',j'] − s[i,j'] − s[i',j]; for a free (i', j') the two removals are
 * independent (the smallest kept entry of column j' and of row i'). Applies the best when it gains.
 */
function bestMerge(state: TileState): boolean {
  const { scores, mask, base, m } = state;
  let bestGain = 0;
  let add = -1;
  let dropInColumn = -1;
  let dropInRow = -1;
  for (let i2 = 0; i2 < m; i2++) {
    for (let j2 = 0; j2 < m; j2++) {
      const k = base + i2 * m + j2;
      if (mask[k]) continue;
      let inColumn = -1;
      let inRow = -1;
      for (let c = 0; c < m; c++) {
        const col = base + c * m + j2;
        const row = base + i2 * m + c;
        if (mask[col] && (inColumn < 0 || (scores[col]) < (scores[inColumn]))) inColumn = col;
        if (mask[row] && (inRow < 0 || (scores[row]) < (scores[inRow]))) inRow = row;
      }
      if (inColumn < 0 || inRow < 0) continue;
      const gain = (scores[k]) - (scores[inColumn]) - (scores[inRow]);
      if (gain > bestGain) {
        bestGain = gain;
        add = k;
        dropInColumn = inColumn;
        dropInRow = inRow;
      }
    }
  }
  if (add < 0) return false;
  setAt(state, dropInColumn, 0);
  setAt(state, dropInRow, 0);
  setAt(state, add, 1);
  return true;
}

/**
 * Local search on one rounded tile: the repair first (always to full under fill 'exact'), then, with
 * whatever is left of `steps`, one improving move a step until none gains: a 2×2 exchange, or under
 * 'atMost' also a shift into a line with room or a merge (the moves that keep fewer than N·M entries).
 */
export function localSearchTile(state: TileState, steps: number): void {
  countTile(state);
  let left = steps - repairTile(state, steps);
  const atMost = state.fill === 'atMost';
  while (left > 0 && (bestExchange(state) || (atMost && (bestShift(state) || bestMerge(state))))) left--;
}
