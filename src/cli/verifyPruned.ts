/**
 * `nmsparse verify --pruned PRUNED.safetensors [--dense DENSE.safetensors]`: checks a pruned checkpoint
 * alone, reading each tensor's mask from its nonzeros. A kept weight that is exactly 0 cannot be told
 * from a dropped one, so the rule checked is "at most N" per group (or per tile row and column); a
 * tensor with exactly N everywhere is reported as such. With --dense, the nonzero pattern is certified
 * against the optimum for the dense weights' scores (the gap under the --fill rule when the pattern is
 * full, else under "at most N"). Exit 0 when every tensor satisfies the pattern, 1 otherwise.
 */
import { certify, scoresFrom, type Certificate, type Fill } from '../index.js';
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { openCheckpoint, type TensorStore } from '../io/index.js';
import { checkStandard, checkTransposable, type ValidityReport } from '../verify/validity.js';
import type { CliOutput } from './command.js';
import { displayText } from '../core/text.js';
import { inTensor, planTensors } from './maskCheckpoint.js';
import type { ProgressReporter } from './progress.js';
import type { Selection } from './sharedFlags.js';
import { maskKindText } from './solveMask.js';
import { formatGap, formatShape, formatTable, left, right } from './table.js';
import type { VerifySettings } from './verifyMatrix.js';

/** 'exact': N kept in every group; 'atMost': at most N, some fewer (or kept weights that are 0); 'invalid'. */
export type PrunedStatus = 'exact' | 'atMost' | 'invalid';

interface PrunedReport extends ValidityReport {
  name: string;
  shape: number[];
  status: PrunedStatus;
  /** Fraction of the weights that are exactly 0. */
  sparsity: number;
  /** Against the dense weights' optimum, with --dense. */
  dense?: Pick<Certificate, 'objective' | 'upperBound' | 'gap'> & { fill: Fill };
}

export interface PrunedRun {
  selection: Selection;
  signal: AbortSignal;
  progress: (tensors: number, elements: number) => ProgressReporter;
}

function nonzeroPattern(rows: number, cols: number, weights: Float32Array, v: VerifySettings): { mask: Uint8Array; status: PrunedStatus; report: ValidityReport } {
  const mask = Uint8Array.from(weights, (w) => (w === 0 ? 0 : 1));
  const check = (fill: Fill) => (v.transposable ? checkTransposable(mask, rows, cols, v.n, v.m, fill) : checkStandard(mask, rows, cols, v.n, v.m, fill));
  const report = check('atMost');
  const status = !report.valid ? 'invalid' : check('exact').valid ? 'exact' : 'atMost';
  return { mask, status, report };
}

async function verifyTensor(pruned: TensorStore, dense: TensorStore | undefined, name: string, matrix: { rows: number; cols: number }, v: VerifySettings, signal: AbortSignal): Promise<PrunedReport> {
  return inTensor(name, async () => {
    const info = pruned.tensor(name);
    const weights = await pruned.readFloats(info);
    const { mask, status, report } = nonzeroPattern(matrix.rows, matrix.cols, weights, v);
    const zeros = mask.length - mask.reduce((a, b) => a + b, 0);
    const base: PrunedReport = { name, shape: [...info.shape], status, sparsity: zeros / mask.length, ...report };
    if (!dense || status === 'invalid') return base;
    const denseInfo = dense.tensor(name);
    if (formatShape(denseInfo.shape) !== formatShape(info.shape)) {
      throw new NmsparseError('E_SHAPE', `the pruned tensor is ${formatShape(info.shape)} but the dense one is ${formatShape(denseInfo.shape)}`);
    }
    const scores = scoresFrom({ ...matrix, data: await dense.readFloats(denseInfo) }, v.score);
    const fill: Fill = status === 'exact' ? v.fill : 'atMost';
    const c = await certify(scores, mask, { n: v.n, m: v.m, transposable: v.transposable, fill, backend: v.backend, signal });
    return { ...base, dense: { objective: c.objective, upperBound: c.upperBound, gap: c.gap, fill } };
  });
}

const STATUS_TEXT: Record<PrunedStatus, string> = { exact: 'yes', atMost: 'yes (at most N)', invalid: 'NO' };

function printReports(reports: readonly PrunedReport[], v: VerifySettings, withDense: boolean, out: CliOutput): void {
  const invalid = reports.filter((r) => r.status === 'invalid');
  out.print(`${maskKindText(v)} from the nonzeros: ${reports.length - invalid.length} of ${reports.length} tensor(s) satisfy the pattern`);
  const columns = [left('name'), left('shape'), right('sparsity'), left('pattern'), ...(withDense ? [right('certified gap')] : [])];
  const rows = reports.map((r) => [
    r.name,
    formatShape(r.shape),
    `${(r.sparsity * 100).toFixed(2)}%`,
    r.status === 'invalid' ? `NO (${r.violationCount})` : STATUS_TEXT[r.status],
    ...(withDense ? [r.dense ? `${formatGap(r.dense.gap)}${r.dense.fill === 'atMost' ? ' (at most N)' : ''}` : '—'] : []),
  ]);
  for (const line of formatTable(columns, rows)) out.print(line);
  for (const r of invalid) for (const violation of r.violations) out.print(`  ${displayText(r.name, 80)}: ${JSON.stringify(violation)}`);
  if (reports.some((r) => r.status === 'atMost')) {
    out.print(`"at most N": some groups have fewer than ${v.n} nonzeros; a kept weight that is exactly 0 cannot be told from a dropped one, so only "at most ${v.n}" is checked there`);
  }
}

export async function verifyPrunedFiles(prunedPath: string, densePath: string | undefined, v: VerifySettings, run: PrunedRun, out: CliOutput): Promise<number> {
  const pruned = await openCheckpoint(prunedPath);
  const dense = densePath === undefined ? undefined : await openCheckpoint(densePath).catch(async (err: unknown) => {
    await pruned.close();
    throw err;
  });
  try {
    const { targets } = planTensors(pruned, run.selection);
    const progress = run.progress(targets.size, [...targets.values()].reduce((sum, t) => sum + t.rows * t.cols, 0));
    const reports: PrunedReport[] = [];
    try {
      for (const [name, matrix] of targets) {
        throwIfAborted(run.signal);
        progress.startTensor(name, matrix.rows * matrix.cols);
        reports.push(await verifyTensor(pruned, dense, name, matrix, v, run.signal));
        progress.finishTensor();
      }
    } finally {
      progress.close();
    }
    // Nothing checked proves nothing: a checkpoint with no tensor the pattern applies to fails.
    const ok = reports.length > 0 && reports.every((r) => r.status !== 'invalid');
    if (v.json) {
      out.print(JSON.stringify({ pruned: prunedPath, dense: densePath ?? null, pattern: `${v.n}:${v.m}`, transposable: v.transposable, valid: ok, tensors: reports }));
    } else if (reports.length === 0) {
      out.print(`${displayText(prunedPath)} has no tensor the pattern applies to`);
    } else {
      printReports(reports, v, dense !== undefined, out);
    }
    return ok ? 0 : 1;
  } finally {
    await dense?.close();
    await pruned.close();
  }
}
