import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeMask, type Problem } from '../../src/audit/judge.js';
import { gatherTiles, scatterTiles, type Matrix } from '../../src/core/matrix.js';
import { bruteforceTiles } from '../support/bruteforce.js';
import { absGaussianMatrix, tiedMatrix } from '../support/random.js';

const P24: Problem = { n: 2, m: 4, transposable: true, fill: 'exact', maxGap: 0 };

/** The optimal mask by enumeration (an oracle independent of the exact solver), and its objective per tile. */
function oracle(x: Matrix, problem: Problem) {
  const batch = { tiles: gatherTiles(x, problem.m), count: (x.rows / problem.m) * (x.cols / problem.m), m: problem.m };
  const { mask, objectives } = bruteforceTiles(batch, problem.n, problem.fill);
  return { mask: scatterTiles(mask, x.rows, x.cols, problem.m), objectives };
}

describe('judgeMask', () => {
  it('passes optimal masks with gap 0, also with ties (fill exact and atMost)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.constantFrom('exact', 'atMost') as fc.Arbitrary<'exact' | 'atMost'>, fc.nat(), async (tr, tc, ties, fill, seed) => {
        const x = ties ? tiedMatrix(tr * 4, tc * 4, seed) : absGaussianMatrix(tr * 4, tc * 4, seed);
        const problem = { ...P24, fill };
        const j = await judgeMask(x, oracle(x, problem).mask, [x.rows, x.cols], problem);
        expect(j.ok, j.message).toBe(true);
        expect(j.gap).toBe(0);
      }),
      { seed: 1410, numRuns: 25 },
    );
  });

  it('locates the tile that lost objective, and the lost amount matches the oracle', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 5 }), async (seed, tile) => {
        const x = absGaussianMatrix(8, 12, seed);
        const { mask, objectives } = oracle(x, P24);
        const tr = Math.floor(tile / 3);
        const tc = tile % 3;
        // A valid but suboptimal tile: the complement of the optimal one (also 2 per row and column).
        const worse = mask.slice();
        for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) worse[(tr * 4 + i) * 12 + tc * 4 + j] ^= 1;
        let kept = 0;
        for (let k = 0; k < 96; k++) if (worse[k] && Math.floor(k / 12 / 4) === tr && Math.floor((k % 12) / 4) === tc) kept += x.data[k] as number;
        const j = await judgeMask(x, worse, [8, 12], P24);
        expect(j.kind).toBe('gap');
        const unit = j.worstUnits[0];
        expect([unit?.row, unit?.col]).toEqual([tr * 4, tc * 4]);
        expect(unit?.optimal).toBeCloseTo(objectives[tile] as number, 4);
        expect(unit?.lost).toBeCloseTo((objectives[tile] as number) - kept, 4);
        expect(j.message).toContain(`tile (${tr}, ${tc})`);
        // Within a max gap larger than the loss it passes.
        expect((await judgeMask(x, worse, [8, 12], { ...P24, maxGap: 1 })).ok).toBe(true);
      }),
      { seed: 1411, numRuns: 20 },
    );
  });

  it('classifies wrong shapes, non-0/1 values and invalid masks, with locations', async () => {
    const x = absGaussianMatrix(4, 8, 3);
    const best = oracle(x, P24).mask;
    expect((await judgeMask(x, best, [8, 4], P24)).kind).toBe('wrongShape');
    expect((await judgeMask(x, best.subarray(0, 16), [4, 4], P24)).kind).toBe('wrongShape');
    expect((await judgeMask(x, best, [32], P24)).ok).toBe(true); // a flat mask of the right length
    const half = Float32Array.from(best);
    half[9] = 0.5;
    const malformed = await judgeMask(x, half, [4, 8], P24);
    expect(malformed.kind).toBe('malformedMask');
    expect(malformed.message).toContain('(1, 1)');
    const invalid = best.slice();
    invalid[6] ^= 1; // row 0 of tile (0, 1) and column 6
    const j = await judgeMask(x, invalid, [4, 8], P24);
    expect(j.kind).toBe('invalidMask');
    expect(j.certificate?.violations[0]).toMatchObject({ kind: 'tileRow', tileRow: 0, tileCol: 1, row: 0 });
    expect(j.message).toContain('tile (0, 1), row 0');
  });

  it('judges standard masks per group of M', async () => {
    const x = absGaussianMatrix(3, 8, 4);
    const problem: Problem = { n: 2, m: 4, transposable: false, fill: 'exact', maxGap: 0 };
    const top2 = new Uint8Array(24);
    for (let g = 0; g < 6; g++) {
      const idx = [0, 1, 2, 3].map((j) => g * 4 + j).sort((a, b) => (x.data[b] as number) - (x.data[a] as number));
      top2[idx[0] as number] = 1;
      top2[idx[1] as number] = 1;
    }
    expect((await judgeMask(x, top2, [3, 8], problem)).ok).toBe(true);
    const worse = top2.slice();
    for (let j = 12; j < 16; j++) worse[j] ^= 1; // row 1, columns 4–7: the two smallest instead
    const j = await judgeMask(x, worse, [3, 8], problem);
    expect(j.kind).toBe('gap');
    expect(j.message).toContain('group at row 1, columns 4–7');
    const atMost = await judgeMask(x, new Uint8Array(24), [3, 8], { ...problem, fill: 'atMost' });
    expect(atMost.kind).toBe('gap'); // keeping nothing is valid under atMost, and loses everything
  });
});
