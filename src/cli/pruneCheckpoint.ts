/**
 * `nmsparse prune MODEL.safetensors --hessians H.safetensors -o PRUNED.safetensors [--masks-out MASKS]`:
 * every eligible weight (eligibility.ts) that has a Hessian (hessians.ts) is pruned with pruneLayer,
 * streamed one tensor and its Hessian at a time in file order, so memory follows the largest layer.
 *
 * PRUNED holds every tensor of MODEL in its own dtype and order with MODEL's metadata plus an `nmsparse`
 * entry of the settings: pruned weights rounded (ties to even) from pruneLayer's f32 result, all other
 * tensors copied byte for byte. An eligible weight without a Hessian is skipped (reported, copied), or
 * with --without-hessian magnitude gets the pattern's magnitude mask with its kept weights unchanged, as
 * `mask --apply` gives; its relative loss is then ‖W − Ŵ‖²_F / ‖W‖²_F (H = I). MASKS holds one U8 mask
 * per pruned weight, same name and shape, as `mask` writes them.
 *
 * Each output is one file, or a sharded set with its index when its name ends in .safetensors.index.json,
 * laid out as `mask` lays out its outputs (maskLayout.ts): mirroring a sharded MODEL's shards (each
 * output shard with its input shard's metadata plus the `nmsparse` entry), or a single MODEL split by
 * --max-shard-size. The files are known from the headers alone, so they are declared and checked after
 * the headers are read and before any tensor is; all files of both outputs belong to one OutputSet and
 * appear together when every tensor succeeded, and not at all otherwise.
 */
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { displayText } from '../core/text.js';
import { decodeFloats, encodeTensorData, FLOAT_DTYPES, openCheckpoint, type FloatDtype, type TensorInfo, type TensorStore } from '../io/index.js';
import { outputSpecs, SafetensorsOutput } from '../io/safetensorsOutput.js';
import { DEFAULT_TSENOR_OPTIONS, pruneLayer, type Matrix } from '../index.js';
import type { CliOutput, OutputStream } from './command.js';
import { matchHessians, namingHint, readHessian } from './hessians.js';
import { pauseForTests, withOutputs } from './interrupt.js';
import { countOnes, inTensor, planTensors, printSkipped, requireTargets, type Skipped } from './maskCheckpoint.js';
import { maskEntries, outputSource, placedTensors, planOutput } from './maskLayout.js';
import { zeroPruned } from './maskStream.js';
import type { ProgressReporter } from './progress.js';
import { layerOptions, maskGap, type PruneSettings } from './pruneSettings.js';
import type { Selection } from './sharedFlags.js';
import { solveMask } from './solveMask.js';
import { formatGap, formatShape, formatTable, left, right } from './table.js';

export type WithoutHessian = 'skip' | 'magnitude';

export interface CheckpointPruneRun {
  input: string;
  hessians: string;
  output: string;
  masksOut: string | undefined;
  /** The size limit of a shard when a single-file MODEL is written as a sharded set (--max-shard-size). */
  maxShardSize: number;
  selection: Selection;
  withoutHessian: WithoutHessian;
  force: boolean;
  json: boolean;
  signal: AbortSignal;
  stderr: OutputStream;
  progress: (tensors: number, elements: number) => ProgressReporter;
}

/** A weight to prune: its matrix shape and its Hessian (none: magnitude, --without-hessian magnitude). */
interface Job {
  rows: number;
  cols: number;
  hessian?: TensorInfo;
}

interface TensorReport {
  name: string;
  dtype: string;
  shape: number[];
  method: string;
  update: string;
  /** Whether the loss and the method used a Hessian (false: magnitude, loss with H = I). */
  hessian: boolean;
  relativeLoss: number;
  gap: number | null;
  kept: number;
  seconds: number;
}

/** What pruning one weight gives: its bytes in the tensor's dtype, its mask and the report's numbers. */
interface Pruned {
  bytes: Uint8Array;
  mask: Uint8Array;
  method: string;
  update: string;
  relativeLoss: number;
  gap: number | undefined;
  backend: string | undefined;
}

/** The run's targets split by whether they have a Hessian; E_SHAPE when nothing would be pruned. */
function planJobs(model: TensorStore, hessians: TensorStore, s: PruneSettings, run: CheckpointPruneRun) {
  const { targets, skipped } = planTensors(model, run.selection);
  requireTargets(targets, run.input, s, run.selection);
  const { found, unused } = matchHessians(model, hessians, targets);
  const jobs = new Map<string, Job>();
  const missing: Skipped[] = [];
  for (const t of model.tensors) {
    const target = targets.get(t.name);
    if (!target) continue;
    const hessian = found.get(t.name);
    if (hessian || run.withoutHessian === 'magnitude') jobs.set(t.name, { ...target, ...(hessian ? { hessian } : {}) });
    else missing.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], reason: 'no Hessian (--without-hessian magnitude prunes it by magnitude)' });
  }
  if (jobs.size === 0) {
    const held = unused.length === 0 ? '' : `; it holds ${unused.slice(0, 3).map((n) => JSON.stringify(displayText(n, 80))).join(', ')}${unused.length > 3 ? ', …' : ''}${namingHint(model, unused[0] as string)}`;
    throw new NmsparseError(
      'E_SHAPE',
      `none of the ${targets.size} prunable tensor(s) of ${displayText(run.input, 120)} has a Hessian in ${displayText(run.hessians, 120)}${held}; ` +
        `store each Hessian under its weight's name (e.g. ${JSON.stringify(displayText(targets.keys().next().value as string, 80))}), or pass --without-hessian magnitude`,
    );
  }
  return { jobs, skipped: [...skipped, ...missing], unused };
}

async function pruneWithHessian(weights: Matrix, dtype: FloatDtype, hessian: Matrix, s: PruneSettings, signal: AbortSignal, onFraction: (f: number) => void): Promise<Pruned> {
  const r = await pruneLayer(weights, { hessian }, layerOptions(s, { signal, onProgress: (p) => onFraction(p.done / p.total) }));
  const gap = await maskGap(s, weights, { hessian }, 'samples-by-features', r.mask, signal);
  return { bytes: encodeTensorData(r.weights, dtype), mask: r.mask, method: s.method, update: r.update, relativeLoss: r.relativeLoss, gap, backend: r.backend };
}

async function pruneByMagnitude(weights: Matrix, raw: Uint8Array, s: PruneSettings, signal: AbortSignal, onFraction: (f: number) => void): Promise<Pruned> {
  const mask = { n: s.n, m: s.m, transposable: s.transposable, method: s.maskSolver, fill: s.fill, score: 'abs' as const, backend: s.backend };
  const r = await solveMask(weights, { ...mask, tsenor: DEFAULT_TSENOR_OPTIONS, certify: true }, signal, onFraction);
  let dropped = 0;
  let total = 0;
  weights.data.forEach((w, i) => {
    total += w * w;
    if (r.mask[i] === 0) dropped += w * w;
  });
  return { bytes: zeroPruned(raw, r.mask), mask: r.mask, method: 'magnitude', update: 'none', relativeLoss: total === 0 ? 0 : dropped / total, gap: r.certificate?.gap, backend: r.backend };
}

/** The settings recorded in the outputs' metadata. */
function settingsRecord(s: PruneSettings, withoutHessian: WithoutHessian): string {
  const { n, m, transposable, method, damp } = s;
  const pattern = transposable ? { n, m, transposable, fill: s.fill, maskSolver: s.maskSolver } : { n, m, transposable };
  return JSON.stringify({ ...pattern, method, update: s.update ?? 'default', damp, withoutHessian });
}

/** Every file of the run's outputs, from the headers alone (see the file header). */
function planOutputs(model: TensorStore, jobs: ReadonlyMap<string, Job>, s: PruneSettings, run: CheckpointPruneRun) {
  const source = outputSource(model, settingsRecord(s, run.withoutHessian));
  const placed = placedTensors(model);
  const pruned = planOutput(run.output, placed, source, run.maxShardSize);
  const masks = run.masksOut === undefined ? undefined : planOutput(run.masksOut, maskEntries(placed, jobs, 'U8'), source, run.maxShardSize);
  return { pruned, masks, specs: [...outputSpecs(pruned, '-o'), ...(masks ? outputSpecs(masks, '--masks-out') : [])] };
}

interface Outputs {
  pruned: SafetensorsOutput;
  masks: SafetensorsOutput | undefined;
}

async function streamPrune(model: TensorStore, hessians: TensorStore, jobs: ReadonlyMap<string, Job>, s: PruneSettings, run: CheckpointPruneRun, outputs: Outputs, progress: ProgressReporter) {
  const { pruned, masks } = outputs;
  const reports: TensorReport[] = [];
  let backend = '';
  try {
    for (const t of model.tensors) {
      throwIfAborted(run.signal);
      const job = jobs.get(t.name);
      if (!job) {
        await pruned.write(t.name, await model.readBytes(t));
        continue;
      }
      const start = performance.now();
      progress.startTensor(t.name, job.rows * job.cols);
      const dtype = t.dtype as FloatDtype;
      const raw = await model.readBytes(t);
      const weights = { rows: job.rows, cols: job.cols, data: decodeFloats(raw, FLOAT_DTYPES[dtype]) };
      const onFraction = (f: number) => progress.advance(f);
      const info = job.hessian;
      const r = await inTensor(t.name, async () =>
        info ? pruneWithHessian(weights, dtype, await readHessian(hessians, info), s, run.signal, onFraction) : pruneByMagnitude(weights, raw, s, run.signal, onFraction),
      );
      backend = r.backend ?? backend;
      await pruned.write(t.name, r.bytes);
      await masks?.write(t.name, r.mask);
      progress.finishTensor();
      const { method, update, relativeLoss, gap } = r;
      const seconds = (performance.now() - start) / 1000;
      reports.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], method, update, hessian: info !== undefined, relativeLoss, gap: gap ?? null, kept: countOnes(r.mask), seconds });
      await pauseForTests(`tensor-${reports.length}`, run.signal);
    }
    await pruned.commit();
    await masks?.commit();
  } finally {
    progress.close();
  }
  return { reports, backend };
}

interface Outcome {
  reports: TensorReport[];
  skipped: Skipped[];
  unused: string[];
  backend: string;
  elements: number;
  seconds: number;
}

/** The run's report: one JSON line with --json, else a table with the skipped tensors and a summary line. */
function printOutcome(s: PruneSettings, run: CheckpointPruneRun, result: Outcome, out: CliOutput): void {
  const { reports, skipped, unused, backend, elements, seconds } = result;
  if (run.json) {
    const kept = reports.reduce((sum, r) => sum + r.kept, 0);
    const summary = {
      input: run.input,
      hessians: run.hessians,
      output: run.output,
      masks: run.masksOut ?? null,
      pattern: `${s.n}:${s.m}`,
      transposable: s.transposable,
      ...(s.transposable ? { fill: s.fill, maskSolver: s.maskSolver } : {}),
      method: s.method,
      update: s.update ?? 'default',
      damp: s.damp,
      withoutHessian: run.withoutHessian,
      backend,
    };
    out.print(JSON.stringify({ ...summary, tensors: reports, skipped, unusedHessians: unused, elements, kept, seconds }));
    return;
  }
  printReport(s, run, result, out);
  out.print(`${elements} elements in ${seconds.toFixed(2)} s (${(elements / seconds / 1e6).toFixed(2)} M/s), backend ${backend}`);
}

function printReport(s: PruneSettings, run: CheckpointPruneRun, result: Outcome, out: CliOutput): void {
  const pattern = `${s.transposable ? 'transposable ' : ''}${s.n}:${s.m}`;
  const masks = run.masksOut === undefined ? '' : `, masks → ${displayText(run.masksOut)}`;
  out.print(`${pattern} ${s.method} of ${result.reports.length} tensor(s) → ${displayText(run.output)}${masks}`);
  const rows = result.reports.map((r) => [
    r.name,
    r.dtype,
    formatShape(r.shape),
    `${r.method}${r.hessian ? '' : ' (no H)'}`,
    r.update,
    r.relativeLoss.toExponential(3),
    r.gap === null ? '–' : formatGap(r.gap),
    r.seconds.toFixed(2),
  ]);
  const columns = [left('name'), left('dtype'), left('shape'), left('method'), left('update'), right('relative loss'), right('certified gap'), right('seconds')];
  for (const line of formatTable(columns, rows)) out.print(line);
  printSkipped(result.skipped, out);
  if (result.unused.length > 0) {
    out.print(`${result.unused.length} Hessian(s) of ${displayText(run.hessians)} name no tensor of the model: ${displayText(result.unused.join(', '), 300)}`);
  }
}

export async function pruneCheckpointFile(s: PruneSettings, run: CheckpointPruneRun, out: CliOutput): Promise<number> {
  const model = await openCheckpoint(run.input);
  try {
    const hessians = await openCheckpoint(run.hessians);
    try {
      const { jobs, skipped, unused } = planJobs(model, hessians, s, run);
      const elements = [...jobs.values()].reduce((sum, j) => sum + j.rows * j.cols, 0);
      const plan = planOutputs(model, jobs, s, run);
      const inputs = [run.input, ...model.files, run.hessians, ...hessians.files];
      return await withOutputs(plan.specs, { force: run.force, inputs, signal: run.signal, stderr: run.stderr }, async (files) => {
        const start = performance.now();
        const outputs = { pruned: await SafetensorsOutput.open(files, plan.pruned), masks: plan.masks && (await SafetensorsOutput.open(files, plan.masks)) };
        const { reports, backend } = await streamPrune(model, hessians, jobs, s, run, outputs, run.progress(jobs.size, elements));
        await files.commit(); // before the report: what it names exists
        printOutcome(s, run, { reports, skipped, unused, backend, elements, seconds: (performance.now() - start) / 1000 }, out);
        return 0;
      });
    } finally {
      await hessians.close();
    }
  } finally {
    await model.close();
  }
}
