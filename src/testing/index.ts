/**
 * `nmsparse/testing`: property-based tests for other mask solvers, certified against nmsparse's exact
 * optimum. fast-check arbitraries over the score-matrix families that break solvers, and
 * `maskSolverProperty`, a fast-check property that a solver's masks are valid and within a gap of the
 * optimum in every tile. fast-check is an optional peer dependency: install it to use this entry.
 *
 *   import fc from 'fast-check';
 *   import { maskSolverProperty } from 'nmsparse/testing';
 *   await fc.assert(maskSolverProperty(mySolver, { n: 2, m: 4, transposable: true }), { seed: 1, numRuns: 200 });
 */
import fc from 'fast-check';
import { scoreCaseArbitrary, type CaseShapeOptions } from '../audit/arbitraries.js';
import type { Family, ScoreCase } from '../audit/families.js';
import { judgeMask, problemOf, type Problem } from '../audit/judge.js';
import { NmsparseError } from '../core/errors.js';
import { describeValue, type Matrix } from '../core/matrix.js';
import type { Fill } from '../core/types.js';

export { FAMILIES, type CaseSpec, type Family, type ScoreCase } from '../audit/families.js';
export type { CaseShapeOptions } from '../audit/arbitraries.js';

/** The problem a solver is asked to solve (fill as the API spells it). */
export interface MaskProblem {
  n: number;
  m: number;
  transposable: boolean;
  fill: Fill;
}

/**
 * A solver under test: row-major f32 scores in, a 0/1 mask out (a flat row-major array of rows·cols
 * values, an array of rows, or {rows, cols, data}); it may be async. It gets a private copy of the scores.
 */
export type MaskSolver = (
  scores: { rows: number; cols: number; data: Float32Array },
  problem: MaskProblem,
) => MaskOutput | Promise<MaskOutput>;

export type MaskOutput = ArrayLike<number> | ReadonlyArray<ArrayLike<number>> | { rows: number; cols: number; data: ArrayLike<number> };

export interface MaskSolverPropertyOptions {
  n: number;
  m: number;
  /** Default false. */
  transposable?: boolean;
  /** Default 'exact'. */
  fill?: Fill;
  /** The largest gap a mask may have, in the whole matrix and in every tile (default 0: exact). */
  maxGap?: number;
  families?: readonly Family[];
  maxTileRows?: number;
  maxTileCols?: number;
}

/** Score cases of the families: fast-check shrinks them to fewer tiles (see CaseShapeOptions). */
export function scoreMatrix(options: CaseShapeOptions): fc.Arbitrary<ScoreCase> {
  return scoreCaseArbitrary(options);
}

/** A solver's output as flat values and the shape it came in. */
function flatten(mask: MaskOutput): { values: ArrayLike<number>; shape: number[] } {
  if (mask !== null && typeof mask === 'object' && 'data' in mask && 'rows' in mask && 'cols' in mask) {
    return { values: mask.data, shape: [mask.rows, mask.cols] };
  }
  if (Array.isArray(mask) && mask.length > 0 && (Array.isArray(mask[0]) || ArrayBuffer.isView(mask[0]))) {
    const rows = mask as ReadonlyArray<ArrayLike<number>>;
    const cols = rows[0]?.length ?? 0;
    if (rows.some((r) => r?.length !== cols)) return { values: [], shape: [rows.length, -1] };
    return { values: rows.flatMap((r) => Array.from(r)), shape: [rows.length, cols] };
  }
  if (ArrayBuffer.isView(mask) || Array.isArray(mask)) return { values: mask as ArrayLike<number>, shape: [(mask as ArrayLike<number>).length] };
  throw new Error(`the solver returned ${describeValue(mask)}, not a mask`);
}

/**
 * A fast-check property: for every case, `solve` returns a valid mask whose certified gap, and every
 * tile's gap against its exact optimum, is at most maxGap. A failure throws an Error saying what is
 * wrong and where (which tile, row or column, the objective lost); fast-check shrinks the case.
 */
export function maskSolverProperty(solve: MaskSolver, options: MaskSolverPropertyOptions): fc.IAsyncPropertyWithHooks<[ScoreCase]> {
  if (typeof solve !== 'function') throw new NmsparseError('E_OPTION', `solve must be a function, got ${describeValue(solve)}`);
  const problem = problemOf(options);
  const cases = scoreMatrix({ ...options, m: problem.m, transposable: problem.transposable });
  const { n, m, transposable, fill } = problem;
  return fc.asyncProperty(cases, async (c) => {
    const scores: Matrix = { rows: c.rows, cols: c.cols, data: c.data };
    const output = await solve({ rows: c.rows, cols: c.cols, data: c.data.slice() }, { n, m, transposable, fill });
    const { values, shape } = flatten(output);
    const judgement = await judgeMask(scores, values, shape, problem);
    if (!judgement.ok) throw new Error(`${judgement.kind}: ${judgement.message}`);
  });
}
