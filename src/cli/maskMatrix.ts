/**
 * `nmsparse mask IN.npy -o OUT.npy`: the mask of one 2-D float matrix, written as a u8 .npy, with
 * the same settings, certificate rule, progress and report as each tensor of a checkpoint.
 */
import { encodeNpy } from '../io/index.js';
import type { OutputSet } from '../io/outputSet.js';
import type { CliOutput } from './command.js';
import { displayText } from '../core/text.js';
import { readMatrixNpy } from './matrixFile.js';
import { ProgressReporter } from './progress.js';
import { maskKindText, solveMask, type MaskSettings, type SolvedMask } from './solveMask.js';
import { formatGap, formatShape } from './table.js';

export interface MatrixRun {
  input: string;
  output: string;
  /** The run's declared outputs (src/io/outputSet.ts): written here, committed before the report. */
  files: OutputSet;
  json: boolean;
  signal: AbortSignal;
  progress: (tensors: number, elements: number) => ProgressReporter;
}

export async function maskMatrixFile(s: MaskSettings, run: MatrixRun, out: CliOutput): Promise<number> {
  const weights = await readMatrixNpy(run.input, 'input');
  const progress = run.progress(1, weights.rows * weights.cols);
  let r: SolvedMask;
  try {
    progress.startTensor(run.input, weights.rows * weights.cols);
    r = await solveMask(weights, s, run.signal, (f) => progress.advance(f));
    progress.finishTensor();
  } finally {
    progress.close();
  }
  await run.files.file(run.output).write(encodeNpy(r.mask, [weights.rows, weights.cols], 'u8'));
  await run.files.commit();

  const report = {
    input: run.input,
    output: run.output,
    shape: [weights.rows, weights.cols],
    pattern: `${s.n}:${s.m}`,
    transposable: s.transposable,
    ...(s.transposable ? { method: s.method, fill: s.fill, ...(s.method === 'tsenor' ? { tsenor: s.tsenor } : {}) } : {}),
    score: s.score,
    backend: r.backend,
    objective: r.objective,
    ...(r.certificate ?? {}),
    seconds: r.seconds,
  };
  if (run.json) {
    out.print(JSON.stringify(report));
    return 0;
  }
  out.print(`${maskKindText(s, s.method)} mask of ${formatShape(report.shape)} → ${displayText(run.output)}`);
  const c = r.certificate;
  out.print(
    c
      ? `objective ${r.objective.toPrecision(10)}, upper bound ${c.upperBound.toPrecision(10)}, certified gap ${formatGap(c.gap)}`
      : `objective ${r.objective.toPrecision(10)} (add --certify for the certified gap)`,
  );
  out.print(`backend ${r.backend}, ${r.seconds.toFixed(3)} s`);
  return 0;
}
