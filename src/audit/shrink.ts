/**
 * Shrinks a failing case to a minimal counterexample that fails the same way (same failure kind):
 *  1. fewest tiles: the single units (M×M tiles, or 1×M groups for standard masks) are tried alone,
 *     the units the judgement located first, then whole unit rows and unit columns;
 *  2. simplest values, by fast-check: the values are replaced by signed ranks (small integers that keep
 *     signs, order and ties) when that still fails, then fast-check shrinks them toward 0 (as f32
 *     floats when the ranks do not fail).
 * Every attempt runs the command, so the number of attempts is capped; the smallest failing case found
 * within the cap is the result.
 */
import fc from 'fast-check';
import type { Matrix } from '../core/matrix.js';
import type { Problem } from './judge.js';
import type { CaseOutcome } from './runCase.js';

export interface Shrunk {
  scores: Matrix;
  outcome: CaseOutcome;
  /** Command runs spent shrinking. */
  attempts: number;
}

/** A window of whole units: rows [row, row + rows), columns [col, col + cols). */
interface Window {
  row: number;
  col: number;
  rows: number;
  cols: number;
}

function crop(x: Matrix, w: Window): Matrix {
  const data = new Float32Array(w.rows * w.cols);
  for (let i = 0; i < w.rows; i++) data.set(x.data.subarray((w.row + i) * x.cols + w.col, (w.row + i) * x.cols + w.col + w.cols), i * w.cols);
  return { rows: w.rows, cols: w.cols, data };
}

/** The unit containing (row, col), when the outcome located the failure. */
function locatedUnits(outcome: CaseOutcome, unitRows: number, m: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const snap = (r: number, c: number) => out.push([r - (r % unitRows), c - (c % m)]);
  for (const u of outcome.judgement?.worstUnits ?? []) snap(u.row, u.col);
  for (const v of outcome.judgement?.certificate?.violations ?? []) {
    if (v.kind === 'tileRow' || v.kind === 'tileColumn') snap(v.tileRow * m, v.tileCol * m);
    else snap(v.row, v.col);
  }
  return out;
}

/** Smaller windows to try, smallest first: single units (located ones first), then unit rows and columns. */
function candidateWindows(x: Matrix, outcome: CaseOutcome, unitRows: number, m: number): Window[] {
  const singles: Window[] = [];
  const seen = new Set<string>();
  const add = (r: number, c: number) => {
    const key = `${r},${c}`;
    if (!seen.has(key)) {
      seen.add(key);
      singles.push({ row: r, col: c, rows: unitRows, cols: m });
    }
  };
  for (const [r, c] of locatedUnits(outcome, unitRows, m)) add(r, c);
  for (let r = 0; r < x.rows; r += unitRows) for (let c = 0; c < x.cols; c += m) add(r, c);
  const strips: Window[] = [];
  if (x.cols > m) for (let r = 0; r < x.rows; r += unitRows) strips.push({ row: r, col: 0, rows: unitRows, cols: x.cols });
  if (x.rows > unitRows) for (let c = 0; c < x.cols; c += m) strips.push({ row: 0, col: c, rows: x.rows, cols: m });
  return x.rows === unitRows && x.cols === m ? [] : [...singles, ...strips];
}

/** Order-, sign- and tie-preserving small integers: positives 1, 2, …; negatives −1, −2, …; zeros 0. */
function signedRanks(data: Float32Array): number[] {
  const rankOf = (values: number[]) => new Map([...new Set(values)].sort((a, b) => a - b).map((v, i) => [v, i + 1]));
  const pos = rankOf([...data].filter((v) => v > 0));
  const neg = rankOf([...data].filter((v) => v < 0).map((v) => -v));
  return [...data].map((v) => (v > 0 ? (pos.get(v) as number) : v < 0 ? -(neg.get(-v) as number) : 0));
}

export async function shrinkFailure(
  scores: Matrix,
  outcome: CaseOutcome,
  problem: Problem,
  attempt: (x: Matrix) => Promise<CaseOutcome>,
  limits: { maxAttempts: number; seed: number },
): Promise<Shrunk> {
  let best: Shrunk = { scores, outcome, attempts: 0 };
  let attempts = 0;
  const sameFailure = (o: CaseOutcome) => !o.ok && o.kind === outcome.kind;
  const tryCase = async (x: Matrix): Promise<boolean> => {
    attempts++;
    const o = await attempt(x);
    if (sameFailure(o)) best = { scores: x, outcome: o, attempts };
    return sameFailure(o);
  };

  // 1. Fewest tiles.
  const unitRows = problem.transposable ? problem.m : 1;
  for (const w of candidateWindows(scores, outcome, unitRows, problem.m)) {
    if (attempts >= limits.maxAttempts) break;
    if (await tryCase(crop(scores, w))) break;
  }

  // 2. Simplest values: signed ranks, then fast-check toward 0.
  const { rows, cols } = best.scores;
  const ranks = signedRanks(best.scores.data);
  const asMatrix = (values: number[]): Matrix => ({ rows, cols, data: Float32Array.from(values) });
  const useRanks = attempts < limits.maxAttempts && (await tryCase(asMatrix(ranks)));
  const length = rows * cols;
  const values = useRanks
    ? fc.array(fc.integer({ min: Math.min(0, ...ranks), max: Math.max(0, ...ranks) }), { minLength: length, maxLength: length })
    : fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: length, maxLength: length });
  const example = useRanks ? ranks : [...best.scores.data];
  // Past the cap every candidate "passes", which ends the shrink at the last failing one.
  const property = fc.asyncProperty(values, async (v) => attempts >= limits.maxAttempts || !(await tryCase(asMatrix(v))));
  await fc.check(property, { examples: [[example]], numRuns: 1, seed: limits.seed });
  return { ...best, attempts };
}
