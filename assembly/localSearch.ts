// Rounding for greedy and TSENOR: greedy selection by a priority, the local-search repair (adds and
// swaps until full) and improving 2×2 exchanges. Every step, scan order and tie rule mirrors
// src/reference/greedy.ts and src/reference/localSearch.ts, so masks are bit-identical to them.

import { Settings } from './abi';
import { take } from './scratch';

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
let hist: usize = 0; // 4×256 u32: one histogram per key byte
// The mask in i64 lane masks for the swap search (all ones where kept), rows padded to an even
// stride MP2 (zeros in the padding); greedySelect clears it and setEntry keeps it in step.
let MP2 = 0;
let kept64: usize = 0;
// The exchange search: f32 lanes over rows, tile rows padded to MP4.
let MP4 = 0;
let targetT: usize = 0; // m×MP4 f32: the tile transposed, −inf where an entry may not be added
let freeT: usize = 0; // m×MP4 i32 lane masks: all ones where (row, column) is free
let moveGain: usize = 0; // m×MP4 f32 (see moveGains)
// The swap search's exact-sum path (swapSearchExact): one under-filled row's scores in f64, −inf
// where kept (MP2), and its move values by row i' (M f64, NaN until computed).
let rowTargets: usize = 0;
let moveValue: usize = 0;
let freeRows: usize = 0; // m i32: the rows free in one column
// Whether sumsExact is known for this tile (cleared by roundingTile), and its value.
let spreadKnown = false;
let sumsExact = false;

/** Takes the rounding's work arrays for M×M tiles from the current layout (scratch.ts). */
export function roundingLayout(s: Settings): void {
  const m = s.m;
  M = m;
  N = s.n;
  AT_MOST = s.atMost != 0;
  MP2 = (m + 1) & ~1;
  MP4 = (m + 3) & ~3;
  const sq = <f64>m * m;
  rowCount = take(m, 4);
  colCount = take(m, 4);
  keys = take(sq, 4);
  keys2 = take(sq, 4);
  order = take(sq, 4);
  order2 = take(sq, 4);
  hist = take(4 * 256, 4);
  kept64 = take(<f64>m * MP2, 8);
  targetT = take(<f64>m * MP4, 4);
  freeT = take(<f64>m * MP4, 4);
  moveGain = take(<f64>m * MP4, 4);
  rowTargets = take(MP2, 8);
  moveValue = take(m, 8);
  freeRows = take(m, 4);
}

/** Points the rounding at one tile's scores and mask. */
export function roundingTile(tileScores: usize, tileMask: usize): void {
  scores = tileScores;
  mask = tileMask;
  spreadKnown = false;
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
  selectionFresh = false;
  store<u8>(mask + i * M + j, keep ? 1 : 0);
  store<i64>(kept64 + (<usize>(i * MP2 + j) << 3), keep ? -1 : 0);
  const d = keep ? 1 : -1;
  store<i32>(rowCount + (<usize>i << 2), rows(i) + d);
  store<i32>(colCount + (<usize>j << 2), cols(j) + d);
}

/**
 * u32 keys that sort ascending as the f32 values sort descending (−0 as +0), four at once: the
 * sign-magnitude bits made two's-complement-ordered (negative: all bits flipped, else the top bit
 * set), then complemented.
 */
@inline function descendingKeys(x: v128): v128 {
  const bits = v128.andnot(x, f32x4.eq(x, f32x4.splat(0)));
  const flip = v128.or(i32x4.shr_s(bits, 31), i32x4.splat(0x80000000));
  return v128.not(v128.xor(bits, flip));
}

/** Stable insertion sort of `size` keys (ascending) carrying their entries: linear on sorted runs. */
function insertionSort(keyAt: usize, entryAt: usize, size: i32): void {
  for (let k = 1; k < size; k++) {
    const key = load<u32>(keyAt + (<usize>k << 2));
    if (load<u32>(keyAt + (<usize>(k - 1) << 2)) <= key) continue;
    const entry = load<i32>(entryAt + (<usize>k << 2));
    let j = k - 1;
    while (j >= 0 && load<u32>(keyAt + (<usize>j << 2)) > key) {
      store<u32>(keyAt + (<usize>(j + 1) << 2), load<u32>(keyAt + (<usize>j << 2)));
      store<i32>(entryAt + (<usize>(j + 1) << 2), load<i32>(entryAt + (<usize>j << 2)));
      j--;
    }
    store<u32>(keyAt + (<usize>(j + 1) << 2), key);
    store<i32>(entryAt + (<usize>(j + 1) << 2), entry);
  }
}

/**
 * Small tiles: every entry's rank is the number of keys below it plus the equal ones before it. Four
 * entries k at a time are compared with every key l (i32x4 compares, no data-dependent branches):
 * keys before their block count when ≤ (ties go to the lower index), keys after it when <, and the
 * block's own four lane by lane. Entries go to order2 by rank. The keys are padded to a multiple of
 * 4 with 0xFFFFFFFF (no finite value's key) in the keys2 block after them.
 */
function rankSort(size: i32): usize {
  const padded = (size + 3) & ~3;
  for (let k = size; k < padded; k++) store<u32>(keys + (<usize>k << 2), 0xffffffff);
  const lanes = i32x4(0, 1, 2, 3);
  for (let kb = 0; kb < size; kb += 4) {
    const block = v128.load(keys + (<usize>kb << 2));
    let rank = i32x4.splat(0);
    for (let l = 0; l < kb; l++) rank = i32x4.sub(rank, i32x4.le_u(v128.load32_splat(keys + (<usize>l << 2)), block));
    for (let l = kb; l < kb + 4; l++) {
      const key = v128.load32_splat(keys + (<usize>l << 2));
      const tie = v128.and(i32x4.eq(key, block), i32x4.gt_s(lanes, i32x4.splat(l - kb)));
      rank = i32x4.sub(rank, v128.or(i32x4.lt_u(key, block), tie));
    }
    for (let l = kb + 4; l < padded; l++) rank = i32x4.sub(rank, i32x4.lt_u(v128.load32_splat(keys + (<usize>l << 2)), block));
    // Lanes past `size` are padding: their ranks are not entries'.
    const from = order + (<usize>kb << 2);
    store<i32>(order2 + (<usize>i32x4.extract_lane(rank, 0) << 2), load<i32>(from));
    if (kb + 1 < size) store<i32>(order2 + (<usize>i32x4.extract_lane(rank, 1) << 2), load<i32>(from, 4));
    if (kb + 2 < size) store<i32>(order2 + (<usize>i32x4.extract_lane(rank, 2) << 2), load<i32>(from, 8));
    if (kb + 3 < size) store<i32>(order2 + (<usize>i32x4.extract_lane(rank, 3) << 2), load<i32>(from, 12));
  }
  return order2;
}

/** Both radix digits of a key, the low one in the low bits: the top bits of its offset from the tile's lowest key. */
@inline function rangeDigits(key: u32, lowest: u32, scale: u32): u32 {
  return (key - lowest) >> scale;
}

/**
 * The entry order, by descending priority (f32, m·m at `priority`) and ascending index for ties, as
 * (row << 16 | column); returns where it lies (order or order2). A stable sort of the keys: LSD radix
 * in two passes on the top 16 bits (12 up to 64 entries) of each key's offset from the tile's lowest,
 * then insertion sort, which only has to reorder the few keys that share those bits; tiles up to 32
 * entries are ranked instead.
 */
function sortEntries(priority: usize): usize {
  const size = M * M;
  // Whole vectors, and the last (overlapping) one for a size that is not a multiple of 4. The
  // lowest and highest key come along (for the radix digits below).
  let lo = i32x4.splat(-1);
  let hi = i32x4.splat(0);
  for (let k = 0; k < size; k += 4) {
    const at = <usize>min(k, size - 4) << 2;
    const key = descendingKeys(v128.load(priority + at));
    v128.store(keys + at, key);
    lo = i32x4.min_u(lo, key);
    hi = i32x4.max_u(hi, key);
  }
  if ((M & 3) == 0) {
    // Four entries (row << 16 | column) a step along each row.
    const step = i32x4.splat(4);
    for (let i = 0; i < M; i++) {
      let entries = i32x4.add(i32x4.splat(i << 16), i32x4(0, 1, 2, 3));
      const row = order + (<usize>(i * M) << 2);
      for (let j = 0; j < M; j += 4) {
        v128.store(row + (<usize>j << 2), entries);
        entries = i32x4.add(entries, step);
      }
    }
  } else {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < M; j++) store<i32>(order + (<usize>(i * M + j) << 2), (i << 16) | j);
    }
  }
  if (size <= 32) return rankSort(size);
  // The radix digits are those of (key − lowest) >> scale, the top bits of the tile's own key
  // range: scores spread over a few octaves then fill the buckets of both passes evenly, where the
  // raw keys' top byte (sign and exponent) took a handful of values, and each increment of a shared
  // counter waited for the one before.
  const lowest = min(min(<u32>i32x4.extract_lane(lo, 0), <u32>i32x4.extract_lane(lo, 1)), min(<u32>i32x4.extract_lane(lo, 2), <u32>i32x4.extract_lane(lo, 3)));
  const highest = max(max(<u32>i32x4.extract_lane(hi, 0), <u32>i32x4.extract_lane(hi, 1)), max(<u32>i32x4.extract_lane(hi, 2), <u32>i32x4.extract_lane(hi, 3)));
  const range = highest - lowest;
  if (range == 0) return order; // all keys equal: index order is the sorted order
  // Two passes of `width`-bit digits: 6 bits (64 buckets) up to 64 entries, where clearing and
  // summing 256 buckets twice cost more than the entries themselves, else bytes.
  const width: u32 = size <= 64 ? 6 : 8;
  const buckets = 1 << width;
  const scale = <u32>max(0, <i32>(32 - 2 * width) - <i32>clz<u32>(range));
  const low = hist;
  const high = hist + 1024;
  memory.fill(low, 0, buckets << 2);
  memory.fill(high, 0, buckets << 2);
  for (let k = 0; k < size; k++) {
    const digits = rangeDigits(load<u32>(keys + (<usize>k << 2)), lowest, scale);
    const h = low + (<usize>(digits & (buckets - 1)) << 2);
    store<u32>(h, load<u32>(h) + 1);
    const g = high + (<usize>(digits >> width) << 2);
    store<u32>(g, load<u32>(g) + 1);
  }
  let srcK = keys;
  let srcO = order;
  let dstK = keys2;
  let dstO = order2;
  for (let shift: u32 = 0; shift < 2 * width; shift += width) {
    const hd = shift == 0 ? low : high;
    const first = (rangeDigits(load<u32>(srcK), lowest, scale) >> shift) & (buckets - 1);
    if (load<u32>(hd + (<usize>first << 2)) == <u32>size) continue; // one bucket: nothing moves
    let acc: u32 = 0;
    for (let b = 0; b < buckets; b++) {
      const h = hd + (<usize>b << 2);
      const c = load<u32>(h);
      store<u32>(h, acc);
      acc += c;
    }
    for (let k = 0; k < size; k++) {
      const key = load<u32>(srcK + (<usize>k << 2));
      const h = hd + (<usize>((rangeDigits(key, lowest, scale) >> shift) & (buckets - 1)) << 2);
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
  insertionSort(srcK, srcO, size);
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
  memory.fill(kept64, 0, <usize>(M * MP2) << 3);
  memory.fill(rowCount, 0, <usize>M << 2);
  memory.fill(colCount, 0, <usize>M << 2);
  let taken = 0;
  const full = M * N;
  // Branch-free: which entries are kept is data-dependent and would mispredict half the time.
  for (let k = 0; k < size && taken < full; k++) {
    const e = load<i32>(sorted + (<usize>k << 2));
    const i = e >> 16;
    const j = e & 0xffff;
    const at = i * M + j;
    const room = i32(rows(i) < N) & i32(cols(j) < N);
    const keep = AT_MOST ? room & i32(score(at) > 0) : room;
    store<u8>(mask + at, <u8>keep);
    store<i64>(kept64 + (<usize>(i * MP2 + j) << 3), -(<i64>keep));
    store<i32>(rowCount + (<usize>i << 2), rows(i) + keep);
    store<i32>(colCount + (<usize>j << 2), cols(j) + keep);
    taken += keep;
  }
  selectionFresh = true;
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

// The best swap found so far (swapSearchExact, swapSearchLanes).
let swapGain: f64 = 0;
// Whether the mask is greedySelect's, untouched since.
let selectionFresh = false;
let swapI = -1;
let swapJ = 0;
let swapI2 = 0;

/**
 * For an under-filled row i and column j, the best swap (remove kept (i', j'), add (i, j') and
 * (i', j)); under exact fill whatever its gain, under atMost only a positive gain. Ties: first in
 * (i, j, i', j') order, the reference's scan; only the winner's j' is looked up, by its gain.
 */
function bestSwap(): bool {
  if (!spreadKnown) {
    sumsExact = !AT_MOST && scoreSpreadExact();
    spreadKnown = true;
  }
  swapGain = AT_MOST ? 0 : -Infinity;
  swapI = -1;
  if (sumsExact) swapSearchExact();
  else swapSearchLanes();
  if (swapI < 0) return false;
  const bi = swapI;
  const bj = swapJ;
  const bi2 = swapI2;
  const sIn2 = score(bi2 * M + bj);
  let bj2 = 0;
  for (; bj2 < M; bj2++) {
    if (!kept(bi2 * M + bj2) || kept(bi * M + bj2)) continue;
    const sIn1 = score(bi * M + bj2);
    if (addable(sIn1) && sIn1 + sIn2 - score(bi2 * M + bj2) == swapGain) break;
  }
  setEntry(bi2, bj2, false);
  setEntry(bi, bj2, true);
  setEntry(bi2, bj, true);
  return true;
}

/**
 * Whether (a + b) − c is exact in f64 for any three scores of the tile: every f32 is a multiple of
 * 2^(e−23) for its exponent e (denormals: −126), so the sum is a multiple of 2^(eMin−23) below
 * 2^(eMax+3) and needs eMax − eMin + 26 significant bits: at most 53 when the nonzero scores'
 * exponents span at most 27. Zeros do not count.
 */
function scoreSpreadExact(): bool {
  const size = M * M;
  if (size < 4) return false;
  const none = i32x4.splat(255);
  const zero = i32x4.splat(0);
  let lo = none;
  let hi = zero;
  for (let k = 0; k < size; k += 4) {
    const magnitude = v128.and(v128.load(scores + (<usize>min(k, size - 4) << 2)), i32x4.splat(0x7fffffff));
    const exponent = i32x4.max_s(i32x4.shr_u(magnitude, 23), i32x4.splat(1));
    const nonzero = i32x4.ne(magnitude, zero);
    lo = i32x4.min_s(lo, v128.bitselect(exponent, none, nonzero));
    hi = i32x4.max_s(hi, v128.bitselect(exponent, zero, nonzero));
  }
  const eMin = min(min(i32x4.extract_lane(lo, 0), i32x4.extract_lane(lo, 1)), min(i32x4.extract_lane(lo, 2), i32x4.extract_lane(lo, 3)));
  const eMax = max(max(i32x4.extract_lane(hi, 0), i32x4.extract_lane(hi, 1)), max(i32x4.extract_lane(hi, 2), i32x4.extract_lane(hi, 3)));
  return eMax - eMin <= 27;
}

/**
 * The swap search when sums are exact (exact fill): the gain (s[i,j'] + s[i',j]) − s[i',j'] is
 * then exactly moveValue[i'] + s[i',j], where moveValue[i'] = max over open j' of s[i,j'] − s[i',j']
 * does not depend on j: each under-filled row computes it once per row i' it needs (f64 lanes over
 * j'), where the general search repeats it for every under-filled column. The maxima are the
 * reference's values exactly.
 */
function swapSearchExact(): void {
  const neg = f64x2.splat(-Infinity);
  for (let i = 0; i < M; i++) {
    if (rows(i) >= N) continue;
    const r = <usize>(i * MP2) << 3;
    for (let c = 0; c < MP2; c += 2) {
      const off = <usize>c << 3;
      // Past the row end for odd M: those lanes are never open.
      const target = f64x2.promote_low_f32x4(v128.load64_zero(scores + (<usize>(i * M + c) << 2)));
      v128.store(rowTargets + off, v128.bitselect(neg, target, v128.load(kept64 + r + off)));
    }
    for (let i2 = 0; i2 < M; i2++) store<f64>(moveValue + (<usize>i2 << 3), NaN);
    for (let j = 0; j < M; j++) {
      if (cols(j) >= N) continue;
      // The rows free in column j, listed without a branch per row (kept or not is a coin toss).
      let free = 0;
      for (let i2 = 0; i2 < M; i2++) {
        store<i32>(freeRows + (<usize>free << 2), i2);
        free += 1 - <i32>kept(i2 * M + j);
      }
      for (let f = 0; f < free; f++) {
        const i2 = load<i32>(freeRows + (<usize>f << 2));
        let value = load<f64>(moveValue + (<usize>i2 << 3));
        if (value != value) {
          value = moveValueOf(i2);
          store<f64>(moveValue + (<usize>i2 << 3), value);
        }
        const here = value + score(i2 * M + j);
        if (here > swapGain) {
          swapGain = here;
          swapI = i;
          swapJ = j;
          swapI2 = i2;
        }
      }
    }
  }
}

/** max over j' kept in row i2 and free in the row in rowTargets of s[i,j'] − s[i2,j'] (−inf if none). */
function moveValueOf(i2: i32): f64 {
  const neg = f64x2.splat(-Infinity);
  const r2 = <usize>(i2 * MP2) << 3;
  let best = neg;
  for (let c = 0; c < MP2; c += 2) {
    const off = <usize>c << 3;
    const out = f64x2.promote_low_f32x4(v128.load64_zero(scores + (<usize>(i2 * M + c) << 2)));
    const gain = f64x2.sub(v128.load(rowTargets + off), out);
    best = f64x2.pmax(best, v128.bitselect(gain, neg, v128.load(kept64 + r2 + off))); // no NaN here: pmax is max
  }
  return max(f64x2.extract_lane(best, 0), f64x2.extract_lane(best, 1));
}

/**
 * The swap search for any tile: for each (i, j, i') the j' scan runs in f64 lanes on the same sums
 * as the reference ((s[i,j'] + s[i',j]) − s[i',j']), so the maxima are its values.
 */
function swapSearchLanes(): void {
  const neg = f64x2.splat(-Infinity);
  const zero = f64x2.splat(0);
  for (let i = 0; i < M; i++) {
    if (rows(i) >= N) continue;
    const r = <usize>(i * MP2) << 3;
    for (let j = 0; j < M; j++) {
      if (cols(j) >= N) continue;
      for (let i2 = 0; i2 < M; i2++) {
        if (kept(i2 * M + j)) continue;
        const sIn2 = score(i2 * M + j);
        if (!addable(sIn2)) continue;
        const add = f64x2.splat(sIn2);
        const r2 = <usize>(i2 * MP2) << 3;
        let best = neg;
        for (let c = 0; c < MP2; c += 2) {
          const off = <usize>c << 3;
          // Two f32 scores widened to f64 (past the row end for odd M: those lanes are never open).
          let target = f64x2.promote_low_f32x4(v128.load64_zero(scores + (<usize>(i * M + c) << 2)));
          if (AT_MOST) target = v128.bitselect(target, neg, f64x2.gt(target, zero));
          const out = f64x2.promote_low_f32x4(v128.load64_zero(scores + (<usize>(i2 * M + c) << 2)));
          const gain = f64x2.sub(f64x2.add(target, add), out);
          const open = v128.andnot(v128.load(kept64 + r2 + off), v128.load(kept64 + r + off));
          best = f64x2.pmax(best, v128.bitselect(gain, neg, open)); // no NaN here: pmax is max
        }
        const here = max(f64x2.extract_lane(best, 0), f64x2.extract_lane(best, 1));
        if (here > swapGain) {
          swapGain = here;
          swapI = i;
          swapJ = j;
          swapI2 = i2;
        }
      }
    }
  }
}

@inline function repairStep(): bool {
  // Straight after greedySelect no free entry has room in both its row and its column (the pass
  // would have kept it: counts only grow), so the repair's first step is a swap.
  const fresh = selectionFresh;
  selectionFresh = false;
  return (!fresh && addFreeEntry()) || bestSwap();
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

/**
 * moveGain[i][i2] = the best gain of moving a kept entry of row i to row i2 within its column
 * (kept in i, free in i2): max over such columns c of t[i2][c] − s[i][c], −inf when there is none.
 * Built column by column: each kept (i, c) updates row i of the table against column c of the
 * targets, f32x4 lanes over i2, so a whole table costs M·N·M/4 vector steps.
 */
function moveGains(): void {
  const neg = f32x4.splat(-Infinity);
  const blocks = MP4 >> 2;
  const rowBytes = <usize>MP4 << 2;
  for (let k = 0; k < M * blocks; k++) v128.store(moveGain + (<usize>k << 4), neg);
  for (let c = 0; c < M; c++) {
    for (let i = 0; i < MP4; i++) {
      store<i32>(freeT + <usize>c * rowBytes + (<usize>i << 2), i < M && !kept(i * M + c) ? -1 : 0);
    }
  }
  for (let c = 0; c < M; c++) {
    const targets = targetT + <usize>c * rowBytes;
    const free = freeT + <usize>c * rowBytes;
    for (let i = 0; i < M; i++) {
      if (!kept(i * M + c)) continue;
      const from = f32x4.splat(load<f32>(scores + (<usize>(i * M + c) << 2)));
      const row = moveGain + <usize>i * rowBytes;
      for (let b = 0; b < blocks; b++) {
        const off = <usize>b << 4;
        const gain = v128.bitselect(f32x4.sub(v128.load(targets + off), from), neg, v128.load(free + off));
        v128.store(row + off, f32x4.pmax(v128.load(row + off), gain)); // no NaN: pmax is max
      }
    }
  }
}

/** Fills targetT: the tile transposed, −inf where an entry may not be added (and in the padding). */
function loadTargets(): void {
  for (let c = 0; c < M; c++) {
    for (let i = 0; i < MP4; i++) {
      const s = i < M ? load<f32>(scores + (<usize>(i * M + c) << 2)) : <f32>-Infinity;
      store<f32>(targetT + (<usize>(c * MP4 + i) << 2), i < M && addable(s) ? s : <f32>-Infinity);
    }
  }
}

// The columns of the chosen exchange (set by exchangeColumns).
let exJ = 0;
let exJ2 = 0;

/**
 * The columns of the best exchange between rows i and i2, first of the best (the reference scan);
 * returns its gain in f64.
 */
function exchangeColumns(i: i32, i2: i32): f64 {
  const ri = i * M;
  const ri2 = i2 * M;
  let gainJ = -Infinity;
  let gainJ2 = -Infinity;
  exJ = -1;
  exJ2 = -1;
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
      exJ = c;
    } else if (!inI && g > gainJ2) {
      gainJ2 = g;
      exJ2 = c;
    }
  }
  return gainJ + gainJ2;
}

/**
 * The best improving 2×2 exchange between two rows (ties: the first row pair, then the first
 * columns), chosen on the f32 move-gain table and confirmed in f64; applied when it gains.
 */
function bestExchange(): bool {
  moveGains();
  const rowBytes = <usize>MP4 << 2;
  let bestGain: f32 = 0;
  let bi = -1;
  let bi2 = 0;
  for (let i = 0; i < M; i++) {
    for (let i2 = i + 1; i2 < M; i2++) {
      const gain =
        load<f32>(moveGain + <usize>i * rowBytes + (<usize>i2 << 2)) +
        load<f32>(moveGain + <usize>i2 * rowBytes + (<usize>i << 2));
      if (gain > bestGain) {
        bestGain = gain;
        bi = i;
        bi2 = i2;
      }
    }
  }
  if (bi < 0 || !(exchangeColumns(bi, bi2) > 0)) return false;
  const bj = exJ;
  const bj2 = exJ2;
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
  if (left <= 0) return;
  loadTargets();
  while (left > 0 && (bestExchange() || (AT_MOST && (bestShift() || bestMerge())))) left--;
}
