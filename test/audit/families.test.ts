import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseSpecArbitrary } from '../../src/audit/arbitraries.js';
import { FAMILIES, generateScores, type CaseSpec, type Family } from '../../src/audit/families.js';

const M = 4;
const spec = (family: Family, rows: number, cols: number, seed: number): CaseSpec => ({ family, rows, cols, seed });

describe('case families', () => {
  it('are deterministic, finite, non-negative except signed, and prefix-stable in the shape', () => {
    fc.assert(
      fc.property(caseSpecArbitrary({ m: M, transposable: true }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), (s, moreRows, moreCols) => {
        const small = generateScores(s, M);
        expect(generateScores(s, M).data).toEqual(small.data);
        for (const x of small.data) {
          expect(Number.isFinite(x)).toBe(true);
          if (s.family !== 'signed') expect(x).toBeGreaterThanOrEqual(0);
        }
        const big = generateScores({ ...s, rows: s.rows + moreRows * M, cols: s.cols + moreCols * M }, M);
        for (let i = 0; i < small.rows; i++) {
          expect(big.data.subarray(i * big.cols, i * big.cols + small.cols)).toEqual(small.data.subarray(i * small.cols, (i + 1) * small.cols));
        }
      }),
      { seed: 1401, numRuns: 150 },
    );
  });

  it('have the shapes they promise: multiples of M, at most the requested tiles', () => {
    const specs = fc.sample(caseSpecArbitrary({ m: 8, transposable: true, maxTileRows: 2, maxTileCols: 3 }), { seed: 1402, numRuns: 100 });
    for (const s of specs) {
      expect(s.rows % 8).toBe(0);
      expect(s.cols % 8).toBe(0);
      expect(s.rows).toBeLessThanOrEqual(16);
      expect(s.cols).toBeLessThanOrEqual(24);
    }
    const standard = fc.sample(caseSpecArbitrary({ m: 4, maxTileRows: 2 }), { seed: 1403, numRuns: 100 });
    expect(standard.some((s) => s.rows % 4 !== 0)).toBe(true); // standard masks take any number of rows
    expect(new Set(standard.map((s) => s.family)).size).toBe(FAMILIES.length);
  });

  it('each family has its character on a 32×32 matrix', () => {
    const values = (family: Family, seed = 5) => generateScores(spec(family, 32, 32, seed), M).data;
    expect(new Set(values('ties')).size).toBeLessThanOrEqual(3);
    expect(values('signed').some((x) => x < 0)).toBe(true);
    const magnitudes = values('dynamicRange').filter((x) => x > 0);
    expect(Math.max(...magnitudes) / Math.min(...magnitudes)).toBeGreaterThan(1e50);
    expect(Math.max(...values('heavyTailed'))).toBeGreaterThan(50);
    const tile = (data: Float32Array, tr: number, tc: number) =>
      Array.from({ length: 16 }, (_, k) => data[(tr * 4 + Math.floor(k / 4)) * 32 + tc * 4 + (k % 4)] as number);
    const tiles = (data: Float32Array) => Array.from({ length: 64 }, (_, t) => tile(data, Math.floor(t / 8), t % 8));
    expect(tiles(values('zeroTiles')).some((t) => t.every((x) => x === 0))).toBe(true);
    expect(tiles(values('constantTiles')).some((t) => t.every((x) => x === t[0]) && t[0] !== 0)).toBe(true);
    // Outlier rows: some row's median is far above the others'.
    const rowMedians = Array.from({ length: 32 }, (_, i) => [...values('outlierRows').subarray(i * 32, (i + 1) * 32)].sort((a, b) => a - b)[16] as number);
    expect(Math.max(...rowMedians) / Math.min(...rowMedians)).toBeGreaterThan(100);
    // Low rank: the 3×3 minors of a rank-2 matrix vanish (up to f32 rounding).
    const x = values('lowRank');
    const at = (i: number, j: number) => x[i * 32 + j] as number;
    const det3 = at(0, 0) * (at(1, 1) * at(2, 2) - at(1, 2) * at(2, 1)) - at(0, 1) * (at(1, 0) * at(2, 2) - at(1, 2) * at(2, 0)) + at(0, 2) * (at(1, 0) * at(2, 1) - at(1, 1) * at(2, 0));
    expect(Math.abs(det3)).toBeLessThan(1e-3 * Math.max(1, at(0, 0) * at(1, 1) * at(2, 2)));
  });

  it('reject unknown families and bad shape options with stable codes', () => {
    expect(() => generateScores(spec('nope' as Family, 4, 4, 1), M)).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => caseSpecArbitrary({ m: 1 })).toThrow(expect.objectContaining({ code: 'E_PATTERN' }));
    expect(() => caseSpecArbitrary({ m: 4, maxTileRows: 0 })).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => caseSpecArbitrary({ m: 4, families: [] })).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => caseSpecArbitrary({ m: 4, families: ['gaussian', 'x' as Family] })).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
  });
});
