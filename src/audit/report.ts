/**
 * The counterexample folder: scores.npy, their-mask.npy (when the command wrote a readable one),
 * optimal-mask.npy, report.json and report.md. The folder is written under a temporary name beside
 * the target and renamed into place at the end, so it appears whole or not at all.
 */
import { mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import type { Matrix } from '../core/matrix.js';
import { encodeNpy } from '../io/npy.js';
import { describeViolation, type Problem } from './judge.js';
import type { CaseOutcome } from './runCase.js';
import type { CaseSpec } from './families.js';

/** What the report says about where the failing case came from. */
export interface CaseOrigin {
  index: number;
  spec: CaseSpec;
  command: readonly string[];
  shrinkAttempts: number;
}

/** Refuses an output folder that exists and is not empty; call before any work. */
export async function checkReportFolder(path: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new NmsparseError('E_IO', `cannot use ${path} as the counterexample folder (${code}); give another --out`, { cause: err });
  }
  if (entries.length > 0) throw new NmsparseError('E_IO', `the counterexample folder ${path} exists and is not empty; remove it or give another --out`);
}

export function reportJson(scores: Matrix, outcome: CaseOutcome, problem: Problem, origin: CaseOrigin, optimum: number): object {
  const c = outcome.judgement?.certificate;
  return {
    verdict: outcome.kind,
    message: outcome.message,
    problem: { ...problem, pattern: `${problem.n}:${problem.m}` },
    command: origin.command,
    origin: { caseIndex: origin.index, ...origin.spec },
    counterexample: { rows: scores.rows, cols: scores.cols, shrinkAttempts: origin.shrinkAttempts },
    run: {
      exitCode: outcome.run.exitCode,
      signal: outcome.run.signal,
      timedOut: outcome.run.timedOut,
      ...(outcome.run.spawnError ? { spawnError: outcome.run.spawnError } : {}),
      seconds: outcome.run.seconds,
      stderrTail: outcome.run.stderrTail,
    },
    ...(c
      ? {
          certificate: {
            valid: c.valid,
            violationCount: c.violationCount,
            violations: c.violations.map((v) => ({ ...v, text: describeViolation(v, problem.m) })),
            objective: c.objective,
            upperBound: c.upperBound,
            gap: c.gap,
          },
        }
      : {}),
    optimum,
    ...(outcome.judgement ? { caseGap: outcome.gap ?? null, worstUnits: outcome.judgement.worstUnits } : {}),
  };
}

function grid(data: ArrayLike<number>, rows: number, cols: number, format: (x: number) => string): string {
  const cells = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => format(data[i * cols + j])));
  const width = Math.max(...cells.flat().map((s) => s.length));
  return cells.map((row) => '    ' + row.map((s) => s.padStart(width)).join(' ')).join('\n');
}

function reportMarkdown(scores: Matrix, outcome: CaseOutcome, problem: Problem, origin: CaseOrigin, optimal: Uint8Array, optimum: number): string {
  const { rows, cols } = scores;
  const kind = problem.transposable ? `transposable ${problem.n}:${problem.m}, fill ${problem.fill}` : `standard ${problem.n}:${problem.m}, fill ${problem.fill}`;
  const lines = [
    `# nmsparse audit: counterexample (${outcome.kind})`,
    '',
    `**What is wrong:** ${displayText(outcome.message, 1000)}`,
    '',
    `Problem: ${kind}, max gap ${problem.maxGap}. Command: \`${displayText(origin.command.join(' '), 1000)}\`.`,
    `Shrunk from case ${origin.index} (family ${origin.spec.family}, ${origin.spec.rows}×${origin.spec.cols}, seed ${origin.spec.seed}) ` +
      `to ${rows}×${cols} in ${origin.shrinkAttempts} runs of the command.`,
    '',
  ];
  const c = outcome.judgement?.certificate;
  if (c && !c.valid) {
    lines.push(`## Violations (${c.violationCount})`, '', ...c.violations.map((v) => `- ${describeViolation(v, problem.m)}`), '');
  }
  if (outcome.judgement && outcome.judgement.worstUnits.length > 0) {
    lines.push('## Objective lost', '', `Their objective ${c?.objective}, optimum ${optimum}, certified upper bound ${c?.upperBound}.`, '');
    for (const u of outcome.judgement.worstUnits) {
      lines.push(
        `- rows ${u.row}–${u.row + u.height - 1}, columns ${u.col}–${u.col + u.width - 1}: keeps ${u.theirs} of ${u.optimal} ` +
          `(lost ${u.lost}); the masks differ in rows ${u.differingRows.join(', ')} and columns ${u.differingCols.join(', ')}`,
      );
    }
    lines.push('');
  }
  if (rows * cols <= 256) {
    lines.push('## Scores', '', grid(scores.data, rows, cols, (x) => String(x)), '');
    if (outcome.theirMask && outcome.theirMask.data.length === rows * cols) {
      lines.push('## Their mask', '', grid(outcome.theirMask.data, rows, cols, (x) => String(x)), '');
    }
    lines.push('## An optimal mask', '', grid(optimal, rows, cols, (x) => String(x)), '');
  }
  if (outcome.run.stderrTail.trim() !== '') {
    lines.push('## The end of its stderr', '', ...outcome.run.stderrTail.split('\n').map((l) => `    ${displayText(l, 500)}`), '');
  }
  lines.push('Files: scores.npy (f32), their-mask.npy (as they wrote it, when readable), optimal-mask.npy (u8), report.json.', '');
  return lines.join('\n');
}

/** Writes the counterexample folder at `path` (which must not exist or be empty); `best` is an optimal mask. */
export async function writeCounterexample(
  path: string,
  scores: Matrix,
  outcome: CaseOutcome,
  problem: Problem,
  origin: CaseOrigin,
  best: { mask: Uint8Array; objective: number },
): Promise<void> {
  const target = resolve(path);
  await checkReportFolder(target);
  await mkdir(dirname(target), { recursive: true });
  const temp = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    const shape = [scores.rows, scores.cols];
    await writeFile(join(temp, 'scores.npy'), encodeNpy(scores.data, shape, 'f32'));
    if (outcome.theirMaskFile) await writeFile(join(temp, 'their-mask.npy'), outcome.theirMaskFile);
    await writeFile(join(temp, 'optimal-mask.npy'), encodeNpy(best.mask, shape, 'u8'));
    await writeFile(join(temp, 'report.json'), JSON.stringify(reportJson(scores, outcome, problem, origin, best.objective), null, 2) + '\n');
    await writeFile(join(temp, 'report.md'), reportMarkdown(scores, outcome, problem, origin, best.mask, best.objective));
    await rmdir(target).catch(() => undefined); // an empty folder in the way (a full one makes rename fail)
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err instanceof NmsparseError ? err : new NmsparseError('E_IO', `cannot write the counterexample folder ${path} (${(err as Error).message})`, { cause: err });
  }
}
