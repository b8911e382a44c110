// nmsparse/testing: the property catches the same broken solvers in-process, and passes correct ones.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transposableMask } from '../../src/masks.js';
import { FAMILIES, maskSolverProperty, scoreMatrix, type MaskSolver, type ScoreCase } from '../../src/testing/index.js';
import { solvers, type MatrixSolver } from '../support/brokenSolvers.mjs';

const asSolver = (solve: MatrixSolver): MaskSolver => (x, p) => solve(x.data, x.rows, x.cols, p.n, p.m);
const OPTIONS = { n: 2, m: 4, transposable: true } as const;

describe('maskSolverProperty', () => {
  const expected: Array<[keyof typeof solvers, RegExp]> = [
    ['greedyNoRepair', /^(gap|invalidMask): /],
    ['offByOneTile', /^invalidMask: invalid mask: tile \(0, 0\)/],
    ['tiesByValue', /^invalidMask: /],
    ['crashOnZero', /cannot normalise a zero score/],
  ];
  for (const [name, message] of expected) {
    it(`catches ${name} and shrinks it to one tile`, async () => {
      const result = await fc.check(maskSolverProperty(asSolver(solvers[name]), OPTIONS), { seed: 1430, numRuns: 100 });
      expect(result.failed).toBe(true);
      const [c] = result.counterexample as [ScoreCase];
      expect([c.rows, c.cols]).toEqual([4, 4]);
      expect(String((result.errorInstance as Error).message)).toMatch(message);
    });
  }

  it('passes the exact solvers: the brute-force one and nmsparse itself, async, in nested-array form', async () => {
    await fc.assert(maskSolverProperty(asSolver(solvers.exact), OPTIONS), { seed: 1431, numRuns: 60 });
    const viaApi: MaskSolver = async (x, p) => {
      const r = await transposableMask(x, { n: p.n, m: p.m, fill: p.fill });
      return Array.from({ length: r.rows }, (_, i) => Array.from(r.mask.subarray(i * r.cols, (i + 1) * r.cols)));
    };
    await fc.assert(maskSolverProperty(viaApi, { n: 3, m: 8, transposable: true, fill: 'atMost' }), { seed: 1432, numRuns: 40 });
  });

  it('tolerates a gap up to maxGap: greedy with repair is near-optimal, not exact', async () => {
    const greedy: MaskSolver = async (x, p) => (await transposableMask(x, { n: p.n, m: p.m, method: 'greedy', fill: p.fill })).mask;
    const strict = await fc.check(maskSolverProperty(greedy, { ...OPTIONS, families: ['gaussian'] }), { seed: 1433, numRuns: 40 });
    expect(strict.failed).toBe(true);
    await fc.assert(maskSolverProperty(greedy, { ...OPTIONS, families: ['gaussian'], maxGap: 1 }), { seed: 1433, numRuns: 40 });
  });

  it('gives the solver a copy: a solver that scribbles on its input is still judged on the real scores', async () => {
    const scribbler: MaskSolver = (x, p) => {
      const mask = solvers.exact(x.data, x.rows, x.cols, p.n, p.m);
      x.data.fill(0);
      return mask;
    };
    await fc.assert(maskSolverProperty(scribbler, OPTIONS), { seed: 1434, numRuns: 30 });
  });

  it('scoreMatrix draws every family; bad options are NmsparseErrors', () => {
    const cases = fc.sample(scoreMatrix({ m: 4, transposable: true }), { seed: 1435, numRuns: 200 });
    expect(new Set(cases.map((c) => c.family))).toEqual(new Set(FAMILIES));
    expect(() => maskSolverProperty(asSolver(solvers.exact), { n: 4, m: 4 })).toThrow(expect.objectContaining({ code: 'E_PATTERN' }));
    expect(() => maskSolverProperty(asSolver(solvers.exact), { ...OPTIONS, maxGap: Number.NaN })).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => maskSolverProperty(42 as unknown as MaskSolver, OPTIONS)).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
  });
});
