// Rounding for greedy and TSENOR: greedy selection by a priority, the local-search repair (adds and
// swaps until full) and improving 2×2 exchanges. Every step, scan order and tie rule mirrors
// src/reference/greedy.ts and src/reference/localSearch.ts, so masks are bit-identical to them.

// The tile being rounded: f32 scores and u8 mask (m·m, row-major), counts in i32 scratch.
let M = 0;
let N = 0;
let AT_MOST = false;
let scores: usize = 0;
let mask: usize = 0;
let rowCount: usize = 0;
let colCount: usize = 0;
let keys: usize = 0; // m·m u32 sort keys (two buffers)
let keys2: usize = 0;
let order: usize = 0; // m·m i32 entry order (two buffers)
let order2: usize = 0;
let hist: usize = 0; // 256 u32

/** Scratch bytes for roundingLayout. */
export function roundingBytes(m: i32): i32 {
  return 2 * m * 4 + 4 * m * m * 4 + 256 * 4;
}

/** Places the rounding scratch at `at` for M×M tiles. */
export function roundingLayout(m: i32, n: i32, atMost: bool, at: usize): void {
  M = m;
  N = n;
  AT_MOST = atMost;
  rowCount = at;
  colCount = rowCount + (<usize>m << 2);
  keys = colCount + (<usize>m << 2);
  keys2 = keys + (<usize>(m * m) << 2);
  order = keys2 + (<usize>(m * m) << 2);
  order2 = order + (<usize>(m * m) << 2);
  hist = order2 + (<usize>(m * m) << 2);
}

/** Points the rounding at one tile's scores and mask. */
export function roundingTile(tileScores: usize, tileMask: usize): void {
  scores = tileScores;
  mask = tileMask;
}

@inline function score(k: i32): f64 {
  return <f64>load<f32>(scores + (<usize>k << 2));
}
@inline function kept(k: i32): bool {
  return load<u8>(mask + k) != 0;
}
@inline function rows(i: i32): i32 {
  return load<i32>(rowCount + (<usize>i << 2));
}
@inline function cols(j: i32): i32 {
  return load<i32>(colCount + (<usize>j << 2));
}
@inline function addable(s: f64): bool {
  return !AT_MOST || s > 0;
}

function setEntry(i: i32, j: i32, keep: bool): void {
  store<u8>(mask + i * M + j, keep ? 1 : 0);
  const d = keep ? 1 : -1;
  store<i32>(rowCount + (<usize>i << 2), rows(i) + d);
  store<i32>(colCount + (<usize>j << 2), cols(j) + d);
}

/** A u32 key that sorts ascending as the f32 sorts descending (−0 as +0). */
@inline function descendingKey(x: f32): u32 {
  const bits = reinterpret<u32>(x == 0 ? <f32>0 : x);
  const ordered = (bits & 0x80000000) != 0 ? ~bits : bits | 0x80000000;
  return ~ordered;
}

/**
 * Writes the entry order, by descending priority (f32, m·m at `priority`) and ascending index for
 * ties, to `order`: a stable sort of the keys (insertion sort for small tiles, else LSD radix).
 */
function sortEntries(priority: usize): usize {
  const size = M * M;
  for (let k = 0; k < size; k++) {
    store<u32>(keys + (<usize>k << 2), descendingKey(load<f32>(priority + (<usize>k << 2))));
    store<i32>(order + (<usize>k << 2), k);
  }
  if (size <= 32) {
    for (let k = 1; k < size; k++) {
      const key = load<u32>(keys + (<usize>k << 2));
      let j = k - 1;
      while (j >= 0 && load<u32>(keys + (<usize>j << 2)) > key) {
        store<u32>(keys + (<usize>(j + 1) << 2), load<u32>(keys + (<usize>j << 2)));
        store<i32>(order + (<usize>(j + 1) << 2), load<i32>(order + (<usize>j << 2)));
        j--;
      }
      store<u32>(keys + (<usize>(j + 1) << 2), key);
      store<i32>(order + (<usize>(j + 1) << 2), k);
    }
    return order;
  }
  let srcK = keys;
  let srcO = order;
  let dstK = keys2;
  let dstO = order2;
  for (let shift: u32 = 0; shift < 32; shift += 8) {
    memory.fill(hist, 0, 256 * 4);
    for (let k = 0; k < size; k++) {
      const h = hist + (<usize>((load<u32>(srcK + (<usize>k << 2)) >> shift) & 255) << 2);
      store<u32>(h, load<u32>(h) + 1);
    }
    const first = (load<u32>(srcK) >> shift) & 255;
    if (load<u32>(hist + (<usize>first << 2)) == <u32>size) continue; // one bucket: nothing moves
    let acc: u32 = 0;
    for (let b = 0; b < 256; b++) {
      const h = hist + (<usize>b << 2);
      const c = load<u32>(h);
      store<u32>(h, acc);
      acc += c;
    }
    for (let k = 0; k < size; k++) {
      const key = load<u32>(srcK + (<usize>k << 2));
      const h = hist + (<usize>((key >> shift) & 255) << 2);
      const at = load<u32>(h);
      store<u32>(h, at + 1);
      store<u32>(dstK + (<usize>at << 2), key);
      store<i32>(dstO + (<usize>at << 2), load<i32>(srcO + (<usize>k << 2)));
    }
    const tk = srcK;
    srcK = dstK;
    dstK = tk;
    const to = srcO;
    srcO = dstO;
    dstO = to;
  }
  return srcO;
}

/**
 * Greedy selection: entries by descending priority (ties: lower index) kept while their row and
 * column have room; under atMost only positive scores. Overwrites the mask and counts.
 */
export function greedySelect(priority: usize): void {
  const sorted = sortEntries(priority);
  const size = M * M;
  memory.fill(mask, 0, size);
  memory.fill(rowCount, 0, <usize>M << 2);
  memory.fill(colCount, 0, <usize>M << 2);
  let taken = 0;
  const full = M * N;
  for (let k = 0; k < size && taken < full; k++) {
    const e = load<i32>(sorted + (<usize>k << 2));
    const i = e / M;
    const j = e - i * M;
    if (rows(i) >= N || cols(j) >= N) continue;
    if (AT_MOST && !(score(e) > 0)) continue;
    setEntry(i, j, true);
    taken++;
  }
}

/** Recounts rows and columns from the mask. */
function countTile(): void {
  memory.fill(rowCount, 0, <usize>M << 2);
  memory.fill(colCount, 0, <usize>M << 2);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      if (kept(i * M + j)) {
        store<i32>(rowCount + (<usize>i << 2), rows(i) + 1);
        store<i32>(colCount + (<usize>j << 2), cols(j) + 1);
      }
    }
  }
}

/** Adds the best free entry whose row and column are both under-filled (ties: lower index). */
function addFreeEntry(): bool {
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < M; i++) {
    if (rows(i) >= N) continue;
    for (let j = 0; j < M; j++) {
      if (cols(j) >= N || kept(i * M + j)) continue;
      const s = score(i * M + j);
      if (addable(s) && (best < 0 || s > bestScore)) {
        best = i * M + j;
        bestScore = s;
      }
    }
  }
  if (best < 0) return false;
  setEntry(best / M, best % M, true);
  return true;
}

/**
 * For an under-filled row i and column j, the best swap (remove kept (i', j'), add (i, j') and
 * (i', j)); under exact fill whatever its gain, under atMost only a positive gain. Ties: first in
 * (i, j, i', j') order.
 */
function bestSwap(): bool {
  let bestGain = AT_MOST ? 0 : -Infinity;
  let found = false;
  let bi = 0;
  let bj = 0;
  let bi2 = 0;
  let bj2 = 0;
  for (let i = 0; i < M; i++) {
    if (rows(i) >= N) continue;
    for (let j = 0; j < M; j++) {
      if (cols(j) >= N) continue;
      for (let i2 = 0; i2 < M; i2++) {
        if (kept(i2 * M + j)) continue;
        const sIn2 = score(i2 * M + j);
        if (!addable(sIn2)) continue;
        for (let j2 = 0; j2 < M; j2++) {
          if (!kept(i2 * M + j2) || kept(i * M + j2)) continue;
          const sIn1 = score(i * M + j2);
          if (!addable(sIn1)) continue;
          const gain = sIn1 + sIn2 - score(i2 * M + j2);
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
  setEntry(bi2, bj2, false);
  setEntry(bi, bj2, true);
  setEntry(bi2, bj, true);
  return true;
}

@inline function repairStep(): bool {
  return addFreeEntry() || bestSwap();
}

/**
 * The repair: under exact fill until the tile is full (a step always exists there), under atMost
 * at most `budget` steps while one gains. Returns the steps taken.
 */
export function repairTile(budget: i32): i32 {
  let steps = 0;
  if (!AT_MOST) {
    let deficit = 0;
    for (let i = 0; i < M; i++) deficit += N - rows(i);
    for (; deficit > 0; deficit--, steps++) {
      if (!repairStep()) unreachable();
    }
    return steps;
  }
  while (steps < budget && repairStep()) steps++;
  return steps;
}

/** The best improving 2×2 exchange between two rows; applied when it gains. */
function bestExchange(): bool {
  let bestGain: f64 = 0;
  let found = false;
  let bi = 0;
  let bj = 0;
  let bi2 = 0;
  let bj2 = 0;
  for (let i = 0; i < M; i++) {
    const ri = i * M;
    for (let i2 = i + 1; i2 < M; i2++) {
      const ri2 = i2 * M;
      let gainJ = -Infinity;
      let gainJ2 = -Infinity;
      let j = -1;
      let j2 = -1;
      for (let c = 0; c < M; c++) {
        const inI = kept(ri + c);
        if (inI == kept(ri2 + c)) continue;
        const from = inI ? ri : ri2;
        const to = inI ? ri2 : ri;
        const sTo = score(to + c);
        if (!addable(sTo)) continue;
        const g = sTo - score(from + c);
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
  setEntry(bi, bj, false);
  setEntry(bi2, bj2, false);
  setEntry(bi, bj2, true);
  setEntry(bi2, bj, true);
  return true;
}

/** AtMost only: the best move of a kept entry along its row or column into a line with room. */
function bestShift(): bool {
  let bestGain: f64 = 0;
  let from = -1;
  let to = -1;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      const k = i * M + j;
      if (!kept(k)) continue;
      const sk = score(k);
      for (let c = 0; c < M; c++) {
        if (cols(c) < N) {
          const target = i * M + c;
          if (!kept(target) && score(target) - sk > bestGain) {
            bestGain = score(target) - sk;
            from = k;
            to = target;
          }
        }
        if (rows(c) < N) {
          const target = c * M + j;
          if (!kept(target) && score(target) - sk > bestGain) {
            bestGain = score(target) - sk;
            from = k;
            to = target;
          }
        }
      }
    }
  }
  if (from < 0) return false;
  setEntry(from / M, from % M, false);
  setEntry(to / M, to % M, true);
  return true;
}

/**
 * AtMost only: the reverse of a repair swap. Kept (i, j') and (i', j) give way to a free (i', j')
 * between them: the smallest kept entry of column j' and of row i' go (ties: the first).
 */
function bestMerge(): bool {
  let bestGain: f64 = 0;
  let add = -1;
  let dropInColumn = -1;
  let dropInRow = -1;
  for (let i2 = 0; i2 < M; i2++) {
    for (let j2 = 0; j2 < M; j2++) {
      const k = i2 * M + j2;
      if (kept(k)) continue;
      let inColumn = -1;
      let inRow = -1;
      for (let c = 0; c < M; c++) {
        const col = c * M + j2;
        const row = i2 * M + c;
        if (kept(col) && (inColumn < 0 || score(col) < score(inColumn))) inColumn = col;
        if (kept(row) && (inRow < 0 || score(row) < score(inRow))) inRow = row;
      }
      if (inColumn < 0 || inRow < 0) continue;
      const gain = score(k) - score(inColumn) - score(inRow);
      if (gain > bestGain) {
        bestGain = gain;
        add = k;
        dropInColumn = inColumn;
        dropInRow = inRow;
      }
    }
  }
  if (add < 0) return false;
  setEntry(dropInColumn / M, dropInColumn % M, false);
  setEntry(dropInRow / M, dropInRow % M, false);
  setEntry(add / M, add % M, true);
  return true;
}

/**
 * Local search on a rounded tile: the repair, then one improving move a step with the steps left: a
 * 2×2 exchange, or under atMost also a shift or a merge.
 */
export function localSearchTile(steps: i32): void {
  countTile();
  let left = steps - repairTile(steps);
  while (left > 0 && (bestExchange() || (AT_MOST && (bestShift() || bestMerge())))) left--;
}
