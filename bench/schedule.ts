import { backendInfo, listBackends, resolveBackend, type BackendInfo } from '../src/backends/registry.js';
import '../src/backends/all.js';
import { gpuIsHardware } from '../src/backends/gpu.js';
import type { RunLimits } from './args.js';
import type { IsolatedOutcome } from './isolate.js';
import type { CaseRow } from './results.js';
import type { CaseBase } from './suite.js';
import type { TimingPlan } from './timing.js';
import type { BackendName } from '../src/core/types.js';

/** Runs one case somewhere (in its own process for real runs) within a time limit. */
export type CaseExecutor = (benchCase: CaseBase, plan: TimingPlan, timeoutSeconds: number) => Promise<IsolatedOutcome>;

/** Run order: the CPU fast path first, then the reference it is measured against, then the rest. */
const RUN_ORDER = ['wasm', 'reference'];

function runRank(name: string): number {
  const rank = RUN_ORDER.indexOf(name);
  return rank < 0 ? RUN_ORDER.length : rank;
}

export interface BackendChoice {
  backends: BackendInfo[];
  /** Available backends left out, and why. */
  notes: string[];
}

/**
 * Available backends in run order, filtered by --backend; a named backend that cannot run is an error.
 * Unless named, a software GPU (a CPU rasteriser: its times say nothing about GPUs) is left out of
 * quick runs, whose time budget it would spend.
 */
export async function chosenBackends(wanted: string[], quick: boolean): Promise<BackendChoice> {
  if (wanted.length > 0) {
    // Probe only the named backends (starting a GPU adapter that will not run costs seconds).
    const named: BackendInfo[] = [];
    for (const name of wanted) {
      named.push(await backendInfo(await resolveBackend(name as BackendName)));
    }
    return { backends: named.sort((a, b) => runRank(a.name) - runRank(b.name)), notes: [] };
  }
  const all = await listBackends();
  const notes: string[] = [];
  const backends: BackendInfo[] = [];
  for (const b of all) {
    if (!b.available) continue;
    if (quick && b.name === 'gpu' && !(await gpuIsHardware())) {
      notes.push('gpu left out of --quick: software adapter (pass --backend gpu to include it)');
      continue;
    }
    backends.push(b);
  }
  return { backends: backends.sort((a, b) => runRank(a.name) - runRank(b.name)), notes };
}

/** Seconds one call of `c` should take, from the largest finished case of its family. */
export function predictedCallSeconds(c: CaseBase, done: readonly CaseRow[]): number | undefined {
  let best: CaseRow | undefined;
  for (const row of done) {
    if (row.case.family !== c.family || !row.measured || row.case.work > c.work) continue;
    if (!best || row.case.work > best.case.work) best = row;
  }
  return best?.measured ? (best.measured.minSeconds * c.work) / best.case.work : undefined;
}

/**
 * Runs a case unless the run's budget is spent or its family's smaller cases predict a call longer
 * than the limit; either way the row says what happened and why.
 */
export async function scheduleCase(
  c: CaseBase,
  done: readonly CaseRow[],
  limits: RunLimits,
  elapsedSeconds: number,
  execute: CaseExecutor,
): Promise<CaseRow> {
  if (elapsedSeconds > limits.runBudgetSeconds) {
    return { case: c, status: 'skipped', reason: `the run's ${limits.runBudgetSeconds} s budget was spent` };
  }
  const unfinished = done.find((row) => row.case.family === c.family && row.case.work < c.work && !row.measured);
  if (unfinished) return { case: c, status: 'skipped', reason: `the smaller case ${unfinished.case.id} did not finish` };
  const predicted = predictedCallSeconds(c, done);
  if (predicted !== undefined && predicted > limits.callLimitSeconds) {
    const reason = `predicted ${predicted.toFixed(0)} s per call > ${limits.callLimitSeconds} s limit`;
    return { case: c, status: 'skipped', reason };
  }
  const outcome = await execute(c, limits.timing, limits.caseTimeoutSeconds);
  return outcome.status === 'ok'
    ? { case: c, status: 'ok', measured: outcome.measured }
    : { case: c, status: outcome.status, reason: outcome.reason };
}
