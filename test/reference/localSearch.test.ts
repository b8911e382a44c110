/**
 * The local search of src/reference/localSearch.ts step by step against a brute-force oracle: each
 * step's neighbourhood (free adds, repair swaps, 2×2 exchanges, and under fill 'atMost' shifts and
 * merges) is enumerated move by move from its definition in that file's comments, with the row and
 * column counts recounted from the mask before every step, and the first best move in the documented
 * order is applied. Scores are multiples of 1/8 (few distinct values, so ties are common), which makes
 * every gain exact in f64: ties are ties for both sides, so the tie-breaks are pinned, not approximated.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countTile, localSearchTile, repairTile, tileState } from '../../src/reference/localSearch.js';
import { PATTERNS } from '../support/tiles.js';
import type { Fill } from '../../src/core/types.js';

interface Tile {
  s: Float32Array;
  mask: Uint8Array;
  m: number;
  n: number;
  fill: Fill;
}

const score = (t: Tile, i: number, j: number): number => t.s[i * t.m + j] as number;
const kept = (t: Tile, i: number, j: number): boolean => t.mask[i * t.m + j] === 1;
const rowKept = (t: Tile, i: number): number => Array.from({ length: t.m }, (_, j) => j).filter((j) => kept(t, i, j)).length;
const colKept = (t: Tile, j: number): number => Array.from({ length: t.m }, (_, i) => i).filter((i) => kept(t, i, j)).length;
const addable = (t: Tile, x: number): boolean => t.fill === 'exact' || x > 0;

function set(t: Tile, entries: ReadonlyArray<readonly [number, number, 0 | 1]>): true {
  for (const [i, j, keep] of entries) t.mask[i * t.m + j] = keep;
  return true;
}

/** Every (i, j) of the tile in row-major order. */
function* cells(m: number): Generator<[number, number]> {
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) yield [i, j];
}

/** The best free entry whose row and column are both under-filled (first in row-major order on ties). */
function add(t: Tile): boolean {
  let best: [number, number] | undefined;
  for (const [i, j] of cells(t.m)) {
    if (kept(t, i, j) || rowKept(t, i) >= t.n || colKept(t, j) >= t.n || !addable(t, score(t, i, j))) continue;
    if (best === undefined || score(t, i, j) > score(t, ...best)) best = [i, j];
  }
  return best !== undefined && set(t, [[...best, 1]]);
}

/** The best repair swap: (i, j) under-filled, kept (i2, j2) gives way to (i, j2) and (i2, j). */
function swap(t: Tile): boolean {
  let best: number[] | undefined;
  let bestGain = t.fill === 'exact' ? -Infinity : 0;
  for (const [i, j] of cells(t.m)) {
    if (rowKept(t, i) >= t.n || colKept(t, j) >= t.n) continue;
    for (const [i2, j2] of cells(t.m)) {
      if (kept(t, i2, j) || !kept(t, i2, j2) || kept(t, i, j2)) continue;
      if (!addable(t, score(t, i2, j)) || !addable(t, score(t, i, j2))) continue;
      const gain = score(t, i, j2) + score(t, i2, j) - score(t, i2, j2);
      if (gain > bestGain) [best, bestGain] = [[i, j, i2, j2], gain];
    }
  }
  if (best === undefined) return false;
  const [i, j, i2, j2] = best as [number, number, number, number];
  return set(t, [[i2, j2, 0], [i, j2, 1], [i2, j, 1]]);
}

/** The best 2×2 exchange: kept (i, j) and (i2, j2), i < i2, become (i, j2) and (i2, j). */
function exchange(t: Tile): boolean {
  let best: number[] | undefined;
  let bestGain = 0;
  for (let i = 0; i < t.m; i++) {
    for (let i2 = i + 1; i2 < t.m; i2++) {
      for (let j = 0; j < t.m; j++) {
        if (!kept(t, i, j) || kept(t, i2, j) || !addable(t, score(t, i2, j))) continue;
        for (let j2 = 0; j2 < t.m; j2++) {
          if (!kept(t, i2, j2) || kept(t, i, j2) || !addable(t, score(t, i, j2))) continue;
          const gain = score(t, i2, j) - score(t, i, j) + (score(t, i, j2) - score(t, i2, j2));
          if (gain > bestGain) [best, bestGain] = [[i, j, i2, j2], gain];
        }
      }
    }
  }
  if (best === undefined) return false;
  const [i, j, i2, j2] = best as [number, number, number, number];
  return set(t, [[i, j, 0], [i2, j2, 0], [i, j2, 1], [i2, j, 1]]);
}

/** The best move of a kept entry along its row (into a column with room) or its column (into a row with room). */
function shift(t: Tile): boolean {
  let best: number[] | undefined;
  let bestGain = 0;
  for (const [i, j] of cells(t.m)) {
    if (!kept(t, i, j)) continue;
    for (let c = 0; c < t.m; c++) {
      const targets: Array<[number, number]> = [];
      if (colKept(t, c) < t.n) targets.push([i, c]);
      if (rowKept(t, c) < t.n) targets.push([c, j]);
      for (const [ti, tj] of targets) {
        const gain = kept(t, ti, tj) ? -Infinity : score(t, ti, tj) - score(t, i, j);
        if (gain > bestGain) [best, bestGain] = [[i, j, ti, tj], gain];
      }
    }
  }
  if (best === undefined) return false;
  const [i, j, ti, tj] = best as [number, number, number, number];
  return set(t, [[i, j, 0], [ti, tj, 1]]);
}

/** The smallest kept entry among `line` (first on ties), or undefined. */
function smallest(t: Tile, line: Array<[number, number]>): [number, number] | undefined {
  let out: [number, number] | undefined;
  for (const e of line) if (kept(t, ...e) && (out === undefined || score(t, ...e) < score(t, ...out))) out = e;
  return out;
}

/** The best merge: a free (i2, j2) replaces the smallest kept entry of its column and of its row. */
function merge(t: Tile): boolean {
  let best: Array<[number, number]> | undefined;
  let bestGain = 0;
  for (const [i2, j2] of cells(t.m)) {
    if (kept(t, i2, j2)) continue;
    const inColumn = smallest(t, Array.from({ length: t.m }, (_, c): [number, number] => [c, j2]));
    const inRow = smallest(t, Array.from({ length: t.m }, (_, c): [number, number] => [i2, c]));
    if (inColumn === undefined || inRow === undefined) continue;
    const gain = score(t, i2, j2) - score(t, ...inColumn) - score(t, ...inRow);
    if (gain > bestGain) [best, bestGain] = [[inColumn, inRow, [i2, j2]], gain];
  }
  if (best === undefined) return false;
  const [inColumn, inRow, added] = best as [[number, number], [number, number], [number, number]];
  return set(t, [[...inColumn, 0], [...inRow, 0], [...added, 1]]);
}

/** The documented procedure (localSearchTile) with the brute-force moves above. */
function oracle(t: Tile, steps: number): void {
  let repaired = 0;
  const underFilled = () => Array.from({ length: t.m }, (_, i) => i).some((i) => rowKept(t, i) < t.n);
  if (t.fill === 'exact') {
    for (; underFilled(); repaired++) expect(add(t) || swap(t)).toBe(true);
  } else {
    while (repaired < steps && (add(t) || swap(t))) repaired++;
  }
  for (let left = steps - repaired; left > 0 && (exchange(t) || (t.fill === 'atMost' && (shift(t) || merge(t)))); left--);
}

/** A tile's worth of scores in multiples of 1/8: few distinct values (ties), zeros and negatives. */
const scoresArb = (size: number) =>
  fc.oneof(
    fc.array(fc.integer({ min: -24, max: 24 }).map((x) => x / 8), { minLength: size, maxLength: size }),
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: size, maxLength: size }),
  );

/**
 * A valid partial mask (at most N per row and column): entries in random order, each kept with
 * probability `density` while its row and column have room.
 */
const partialMaskArb = (m: number, n: number) =>
  fc
    .tuple(fc.shuffledSubarray(Array.from({ length: m * m }, (_, k) => k), { minLength: m * m, maxLength: m * m }), fc.double({ min: 0, max: 1, noNaN: true }), fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })))
    .map(([order, density, coins]) => {
      const mask = new Uint8Array(m * m);
      const rows = new Int32Array(m);
      const cols = new Int32Array(m);
      const coin = coins[Symbol.iterator]();
      for (const k of order) {
        const i = Math.floor(k / m);
        const j = k % m;
        if ((coin.next().value as number) >= density || (rows[i] as number) >= n || (cols[j] as number) >= n) continue;
        mask[k] = 1;
        rows[i]++;
        cols[j]++;
      }
      return mask;
    });

/**
 * A full mask (N per row and column): a circulant band with rows and columns permuted. Under fill
 * 'atMost' no line has room, so after the exchanges only merges can gain.
 */
const fullMaskArb = (m: number, n: number) => {
  const permutation = fc.shuffledSubarray(Array.from({ length: m }, (_, k) => k), { minLength: m, maxLength: m });
  return fc.tuple(permutation, permutation).map(([rows, cols]) =>
    Uint8Array.from({ length: m * m }, (_, k) => ((cols[k % m] as number) - (rows[Math.floor(k / m)] as number) + m) % m < n ? 1 : 0),
  );
};

/** A tile with its pattern, fill, a valid partial mask, and where it sits in a batch of `count` tiles. */
const caseArb = fc
  .record({ pattern: fc.constantFrom(...PATTERNS.filter(([, m]) => m <= 8)), fill: fc.constantFrom<Fill>('exact', 'atMost'), count: fc.integer({ min: 1, max: 3 }) })
  .chain(({ pattern: [n, m], fill, count }) =>
    fc.record({
      n: fc.constant(n),
      m: fc.constant(m),
      fill: fc.constant(fill),
      count: fc.constant(count),
      at: fc.integer({ min: 0, max: count - 1 }),
      scores: scoresArb(count * m * m),
      mask: fc.oneof(partialMaskArb(m, n), fullMaskArb(m, n)),
      // The other tiles' masks: anything (the search must neither read nor write them).
      others: fc.array(fc.constantFrom<0 | 1>(0, 1), { minLength: count * m * m, maxLength: count * m * m }),
      steps: fc.integer({ min: 0, max: 12 }),
    }),
  );

describe('localSearchTile against a brute-force oracle of its moves', () => {
  it('takes the same repairs and improving moves, ties included, and touches only its tile', () => {
    fc.assert(
      fc.property(caseArb, ({ n, m, fill, count, at, scores, mask, others, steps }) => {
        const size = m * m;
        const s = Float32Array.from(scores);
        const batchMask = Uint8Array.from(others);
        batchMask.set(mask, at * size);
        const state = tileState(s, batchMask, m, n, fill);
        state.base = at * size;
        // Stale counts from another tile must not matter.
        state.rowCount.fill(n);
        localSearchTile(state, steps);
        const want: Tile = { s: s.slice(at * size, (at + 1) * size), mask: Uint8Array.from(mask), m, n, fill };
        oracle(want, steps);
        expect(Array.from(batchMask.subarray(at * size, (at + 1) * size))).toEqual(Array.from(want.mask));
        expect(batchMask.every((x, k) => (k >= at * size && k < (at + 1) * size) || x === others[k])).toBe(true);
      }),
      { seed: 16, numRuns: 400 },
    );
  });

  it('repairTile returns its step count and leaves the counts up to date', () => {
    fc.assert(
      fc.property(caseArb, ({ n, m, fill, scores, mask, steps }) => {
        const s = Float32Array.from(scores.slice(0, m * m));
        const state = tileState(s, Uint8Array.from(mask), m, n, fill);
        countTile(state);
        const taken = repairTile(state, steps);
        const before = mask.reduce((a, x) => a + x, 0);
        const after = state.mask.reduce((a, x) => a + x, 0);
        // Every repair step keeps one more entry.
        expect(after - before).toBe(taken);
        if (fill === 'atMost') expect(taken).toBeLessThanOrEqual(steps);
        else expect(after).toBe(n * m);
        const t: Tile = { s, mask: state.mask, m, n, fill };
        for (let i = 0; i < m; i++) {
          expect(state.rowCount[i]).toBe(rowKept(t, i));
          expect(state.colCount[i]).toBe(colKept(t, i));
        }
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});
