/**
 * Judges one mask against its scores: the shape, 0/1 values, the N:M rule (src/verify/certify), the
 * certified gap, and where objective was lost. Losses are measured per unit (an M×M tile when
 * transposable, a 1×M group when standard) against the exact optimum of that unit, because units are
 * independent problems: a unit's loss cannot hide behind a large total, as it can in the global gap
 * when magnitudes span 1e-30…1e30. A case's gap is the larger of the certified gap and the worst unit's.
 */
import { standardMask, transposableMask } from '../masks.js';
import { NmsparseError } from '../core/errors.js';
import { describeValue, validateFill, validatePattern, type Matrix } from '../core/matrix.js';
import type { Fill } from '../core/types.js';
import { relativeGap } from '../reference/dualBound.js';
import { certify, type Certificate } from '../verify/certify.js';
import type { Violation } from '../verify/validity.js';

export type FailureKind = 'crash' | 'timeout' | 'noMask' | 'malformedMask' | 'wrongShape' | 'invalidMask' | 'gap';

/** The problem every case of an audit poses. */
export interface Problem {
  n: number;
  m: number;
  transposable: boolean;
  fill: Fill;
  /** The largest gap a passing mask may have (0 for a solver that claims to be exact). */
  maxGap: number;
}

/** The problem of an audit's or a property's options, validated (defaults: fill 'exact', maxGap 0). */
export function problemOf(options: { n: number; m: number; transposable?: boolean; fill?: Fill; maxGap?: number }): Problem {
  validatePattern(options.n, options.m);
  const fill = options.fill ?? 'exact';
  validateFill(fill);
  const maxGap = options.maxGap ?? 0;
  if (typeof maxGap !== 'number' || !(maxGap >= 0) || !Number.isFinite(maxGap)) {
    throw new NmsparseError('E_OPTION', `maxGap must be a finite number ≥ 0, got ${describeValue(maxGap)}`);
  }
  return { n: options.n, m: options.m, transposable: options.transposable === true, fill, maxGap };
}

/** The objective of one unit (tile or group) under the solver's mask and under the optimum. */
export interface UnitLoss {
  /** The unit's first row and column, and its height and width. */
  row: number;
  col: number;
  height: number;
  width: number;
  theirs: number;
  optimal: number;
  /** optimal − theirs. */
  lost: number;
  /** lost relative to |optimal| (0 within f64 rounding). */
  gap: number;
  /** The rows and columns of the unit where the solver's mask differs from the optimal one. */
  differingRows: number[];
  differingCols: number[];
}

export interface Judgement {
  ok: boolean;
  kind?: FailureKind;
  /** One line that says what is wrong (or the gap when nothing is). */
  message: string;
  certificate?: Certificate;
  /** The exact optimum's mask and objective (for the counterexample). */
  optimalMask: Uint8Array;
  optimum: number;
  /** max(certified gap, worst unit gap); undefined when the mask could not be certified. */
  gap?: number;
  /** The units that lost most (relative), worst first; at most five. */
  worstUnits: UnitLoss[];
}

/** The exact optimum of the problem (certified by the solver's own dual bound). */
export async function optimalMask(scores: Matrix, problem: Problem): Promise<{ mask: Uint8Array; objective: number }> {
  const { n, m, fill } = problem;
  if (problem.transposable) {
    const r = await transposableMask(scores, { n, m, fill, method: 'exact', backend: 'reference' });
    return { mask: r.mask, objective: r.objective };
  }
  const mask = (await standardMask(scores, { n, m, backend: 'reference' })).mask;
  // Under fill atMost a group keeps only its top-N scores that are positive.
  if (fill === 'atMost') for (let k = 0; k < mask.length; k++) if ((scores.data[k]) <= 0) mask[k] = 0;
  let objective = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) objective += scores.data[k];
  return { mask, objective };
}

export function describeViolation(v: Violation, m: number): string {
  switch (v.kind) {
    case 'value':
      return `value ${v.value} at (${v.row}, ${v.col}) is not 0 or 1`;
    case 'group':
      return `row ${v.row}, columns ${v.col}–${v.col + m - 1}: the group keeps ${v.count}, expected ${v.expected}`;
    case 'tileRow':
      return `tile (${v.tileRow}, ${v.tileCol}), row ${v.row} keeps ${v.count}, expected ${v.expected}`;
    case 'tileColumn':
      return `tile (${v.tileRow}, ${v.tileCol}), column ${v.col} keeps ${v.count}, expected ${v.expected}`;
  }
}

function unitLosses(scores: Matrix, theirs: ArrayLike<number>, best: Uint8Array, problem: Problem): UnitLoss[] {
  const height = problem.transposable ? problem.m : 1;
  const width = problem.m;
  const units: UnitLoss[] = [];
  for (let r0 = 0; r0 < scores.rows; r0 += height) {
    for (let c0 = 0; c0 < scores.cols; c0 += width) {
      let mine = 0;
      let optimal = 0;
      const rows = new Set<number>();
      const cols = new Set<number>();
      for (let i = r0; i < r0 + height; i++) {
        for (let j = c0; j < c0 + width; j++) {
          const k = i * scores.cols + j;
          const s = scores.data[k];
          if (theirs[k] === 1) mine += s;
          if (best[k]) optimal += s;
          if ((theirs[k] === 1) !== (best[k] === 1)) {
            rows.add(i);
            cols.add(j);
          }
        }
      }
      const gap = relativeGap(optimal, mine);
      if (gap > 0) {
        const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
        units.push({ row: r0, col: c0, height, width, theirs: mine, optimal, lost: optimal - mine, gap, differingRows: sorted(rows), differingCols: sorted(cols) });
      }
    }
  }
  // Worst first; equal gaps in row-major order (the sort is stable).
  return units.sort((a, b) => b.gap - a.gap).slice(0, 5);
}

/** A number with at most 7 significant digits and no trailing zeros. */
function short(x: number): string {
  return String(Number(x.toPrecision(7)));
}

function unitName(u: UnitLoss, transposable: boolean): string {
  const where = `rows ${u.row}–${u.row + u.height - 1}, columns ${u.col}–${u.col + u.width - 1}`;
  return transposable ? `tile (${u.row / u.height}, ${u.col / u.width}) (${where})` : `group at row ${u.row}, columns ${u.col}–${u.col + u.width - 1}`;
}

/**
 * Judges a mask given as flat row-major values and the shape it came with. Never throws for a bad
 * mask: every way a mask can be wrong is a failure kind.
 */
export async function judgeMask(scores: Matrix, mask: ArrayLike<number>, shape: readonly number[], problem: Problem): Promise<Judgement> {
  const best = await optimalMask(scores, problem);
  const base = { optimalMask: best.mask, optimum: best.objective, worstUnits: [] as UnitLoss[] };
  const fail = (kind: FailureKind, message: string) => ({ ...base, ok: false, kind, message });
  const rightShape = shape.length === 2 ? shape[0] === scores.rows && shape[1] === scores.cols : shape.length === 1 && shape[0] === scores.rows * scores.cols;
  if (!rightShape || mask.length !== scores.rows * scores.cols) {
    return fail('wrongShape', `the mask has shape (${shape.join(', ')}) but the scores are ${scores.rows}×${scores.cols}`);
  }
  const { n, m, transposable, fill } = problem;
  let certificate: Certificate;
  try {
    certificate = await certify(scores, mask, { n, m, transposable, fill, backend: 'reference' });
  } catch (err) {
    // Entries that are not numbers at all (certify's E_DTYPE) make a malformed mask, like 0.5 does.
    if (err instanceof NmsparseError && err.code === 'E_DTYPE') return fail('malformedMask', err.message);
    throw err;
  }
  if (!certificate.valid) {
    const first = certificate.violations[0] as Violation;
    // Values other than 0 and 1 are listed first (validity.ts): the mask is malformed, not merely invalid.
    if (first.kind === 'value') return { ...fail('malformedMask', `mask ${describeViolation(first, m)}`), certificate };
    const more = certificate.violationCount > 1 ? ` (and ${certificate.violationCount - 1} more)` : '';
    return { ...fail('invalidMask', `invalid mask: ${describeViolation(first, m)}${more}`), certificate };
  }
  const worstUnits = unitLosses(scores, mask, best.mask, problem);
  const gap = Math.max(certificate.gap, worstUnits[0]?.gap ?? 0);
  const worst = worstUnits[0];
  const where = worst
    ? `; ${unitName(worst, transposable)} keeps ${short(worst.theirs)} of its optimum ${short(worst.optimal)} (lost ${short(worst.lost)})`
    : '';
  if (gap > problem.maxGap) {
    return { ...base, ok: false, kind: 'gap', message: `gap ${short(gap)} exceeds the max gap ${problem.maxGap}${where}`, certificate, gap, worstUnits };
  }
  return { ...base, ok: true, message: `valid, gap ${short(gap)}`, certificate, gap, worstUnits };
}
