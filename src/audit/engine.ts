/**
 * The audit engine: differential testing of an external mask solver (docs/verification.md). Cases are
 * drawn by fast-check from the families (families.ts) with the audit's seed, so a run is reproducible;
 * each case runs the command (runCase.ts) and is judged against the certified optimum (judge.ts). The
 * first failure is shrunk to a minimal counterexample (shrink.ts) and written out (report.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { NmsparseError } from '../core/errors.js';
import { describeValue } from '../core/matrix.js';
import type { Fill } from '../core/types.js';
import { caseSpecArbitrary } from './arbitraries.js';
import { generateScores, type CaseSpec, type Family } from './families.js';
import { optimalMask, type FailureKind, problemOf, type Problem } from './judge.js';
import { checkReportFolder, reportJson, writeCounterexample, type CaseOrigin } from './report.js';
import { runCase, type CaseOutcome } from './runCase.js';
import { shrinkFailure } from './shrink.js';

export interface AuditOptions {
  n: number;
  m: number;
  transposable?: boolean;
  /** Default 'exact'. */
  fill?: Fill;
  /** How many cases (default 100). */
  cases?: number;
  /** The seed that draws the cases (default: a random one, reported in the summary). */
  seed?: number;
  /** The largest gap a passing mask may have (default 0: the solver claims to be exact). */
  maxGap?: number;
  /** Per run of the command, in milliseconds (default 30 000). */
  timeoutMs?: number;
  families?: readonly Family[];
  maxTileRows?: number;
  maxTileCols?: number;
  /** Command runs the shrinker may spend (default 200). */
  maxShrinkAttempts?: number;
  /** Where to write the counterexample folder on a failure (checked before any work); none when absent. */
  outDir?: string;
  /** Cancels the audit (E_ABORTED); the running command is killed and nothing is written. */
  signal?: AbortSignal;
  /** Called after every case. */
  onCase?: (record: CaseRecord, done: number, total: number) => void;
}

export interface CaseRecord {
  index: number;
  spec: CaseSpec;
  ok: boolean;
  kind?: FailureKind;
  message: string;
  gap?: number;
  seconds: number;
}

export interface AuditSummary {
  problem: Problem;
  seed: number;
  cases: number;
  /** Cases whose mask was valid (whatever its gap). */
  valid: number;
  failed: number;
  /** Mean and largest case gap over the valid masks (0 when there were none). */
  meanGap: number;
  maxGap: number;
  failureKinds: Partial<Record<FailureKind, number>>;
  failures: CaseRecord[];
  /** The shrunk first failure, when there was one. */
  counterexample?: { folder?: string; rows: number; cols: number; kind: FailureKind; message: string; report: object };
  seconds: number;
}

function integerOption(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new NmsparseError('E_OPTION', `${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** Runs the audit; throws NmsparseError only for bad options, an unusable output folder or cancellation. */
export async function audit(command: readonly string[], options: AuditOptions): Promise<AuditSummary> {
  const start = performance.now();
  const problem = problemOf(options);
  const cases = integerOption(options.cases ?? 100, 'cases', 1, 1_000_000);
  const seed = integerOption(options.seed ?? Math.floor(Math.random() * 0x7fffffff), 'seed', 0, 0x7fffffff);
  const timeoutMs = integerOption(options.timeoutMs ?? 30_000, 'timeoutMs', 1, 86_400_000);
  const maxAttempts = integerOption(options.maxShrinkAttempts ?? 200, 'maxShrinkAttempts', 0, 100_000);
  if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === 'string')) {
    throw new NmsparseError('E_OPTION', 'the command must be a non-empty array of strings (argv), for example ["python3", "solver.py", "{in}", "{out}"]');
  }
  if (options.outDir !== undefined) await checkReportFolder(options.outDir);
  const arbitrary = caseSpecArbitrary({
    m: problem.m,
    transposable: problem.transposable,
    families: options.families,
    maxTileRows: options.maxTileRows,
    maxTileCols: options.maxTileCols,
  });
  const specs = fc.sample(arbitrary, { seed, numRuns: cases });

  const dir = await mkdtemp(join(tmpdir(), 'nmsparse-audit-'));
  const commandSpec = { argv: command, timeoutMs, signal: options.signal };
  const attempt = (x: Parameters<typeof runCase>[0]) => runCase(x, problem, commandSpec, dir);
  try {
    const records: CaseRecord[] = [];
    let first: { index: number; outcome: CaseOutcome } | undefined;
    for (const [index, spec] of specs.entries()) {
      const outcome = await attempt(generateScores(spec, problem.m));
      const record: CaseRecord = {
        index,
        spec,
        ok: outcome.ok,
        ...(outcome.kind ? { kind: outcome.kind } : {}),
        message: outcome.message,
        ...(outcome.gap === undefined ? {} : { gap: outcome.gap }),
        seconds: outcome.run.seconds,
      };
      records.push(record);
      if (!outcome.ok && !first) first = { index, outcome };
      options.onCase?.(record, index + 1, cases);
    }

    const validGaps = records.filter((r) => r.gap !== undefined).map((r) => r.gap as number);
    const failures = records.filter((r) => !r.ok);
    const failureKinds: Partial<Record<FailureKind, number>> = {};
    for (const f of failures) failureKinds[f.kind as FailureKind] = (failureKinds[f.kind as FailureKind] ?? 0) + 1;
    const summary: AuditSummary = {
      problem,
      seed,
      cases,
      valid: validGaps.length,
      failed: failures.length,
      meanGap: validGaps.length ? validGaps.reduce((a, b) => a + b, 0) / validGaps.length : 0,
      maxGap: validGaps.length ? Math.max(...validGaps) : 0,
      failureKinds,
      failures,
      seconds: 0,
    };
    if (first) {
      const spec = specs[first.index] as CaseSpec;
      const shrunk = await shrinkFailure(generateScores(spec, problem.m), first.outcome, problem, attempt, { maxAttempts, seed });
      const origin: CaseOrigin = { index: first.index, spec, command, shrinkAttempts: shrunk.attempts };
      const outcome = shrunk.outcome;
      const best = outcome.judgement
        ? { mask: outcome.judgement.optimalMask, objective: outcome.judgement.optimum }
        : await optimalMask(shrunk.scores, problem);
      if (options.outDir !== undefined) await writeCounterexample(options.outDir, shrunk.scores, outcome, problem, origin, best);
      summary.counterexample = {
        ...(options.outDir !== undefined ? { folder: options.outDir } : {}),
        rows: shrunk.scores.rows,
        cols: shrunk.scores.cols,
        kind: outcome.kind as FailureKind,
        message: outcome.message,
        report: reportJson(shrunk.scores, outcome, problem, origin, best.objective),
      };
    }
    summary.seconds = (performance.now() - start) / 1000;
    return summary;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
