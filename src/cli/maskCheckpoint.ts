/**
 * `nmsparse mask MODEL.safetensors -o MASKS.safetensors`: a mask for every eligible tensor (2-D float
 * tensors whose shape fits the pattern, 4-D convolutions with --conv), streamed one tensor at a time in
 * file order; the masks (and with --apply the pruned weights in their own dtype, other tensors copied
 * as they are) go to the run's outputs, one file each or sharded sets with their index
 * (maskLayout.ts), which appear together only when all of it succeeded.
 *
 * With --shard i/k only the tensors the partition gives shard i are masked (partition.ts), and the
 * output is a partial result (partial.ts) that `nmsparse merge` joins with the other shards' into the
 * files this run would have written without --shard. The outputs' files are known from the headers
 * alone, so they are declared and checked after the headers are read and before any tensor is.
 */
import { NmsparseError } from '../core/errors.js';
import { decodeFloats, FLOAT_DTYPES, openCheckpoint, type FloatDtype, type TensorStore } from '../io/index.js';
import { outputSpecs, planSafetensorsOutput, SafetensorsOutput, type SafetensorsOutputPlan } from '../io/safetensorsOutput.js';
import type { CliOutput, OutputStream } from './command.js';
import { displayText } from '../core/text.js';
import { eligibility } from './eligibility.js';
import { FloatBuffers } from './floatBuffers.js';
import { withOutputs } from './interrupt.js';
import { maskEntries, outputSource, placedTensors, planOutput, settingsEntry } from './maskLayout.js';
import { streamMaskOutputs } from './maskStream.js';
import { inputFingerprint, partialMetadata } from './partial.js';
import { partition, tensorCost, type ShardSpec } from './partition.js';
import type { ProgressReporter } from './progress.js';
import type { Fill } from '../index.js';
import { inspectHint, type Pattern, type Selection } from './sharedFlags.js';
import { maskKindText, solveMask, type MaskSettings } from './solveMask.js';
import { formatGap, formatShape, formatTable, left, right } from './table.js';

export interface CheckpointRun {
  input: string;
  output: string;
  apply?: string;
  maskDtype: 'U8' | 'BOOL';
  selection: Selection;
  /** The size limit of a shard when a single input is written as an index (--max-shard-size). */
  maxShardSize: number;
  shard?: ShardSpec;
  force: boolean;
  json: boolean;
  signal: AbortSignal;
  stderr: OutputStream;
  progress: (tensors: number, elements: number) => ProgressReporter;
}

interface TensorReport {
  name: string;
  dtype: string;
  shape: number[];
  objective: number;
  upperBound?: number;
  gap?: number;
  kept: number;
  seconds: number;
}

export interface Skipped {
  name: string;
  dtype: string;
  shape: number[];
  reason: string;
}

/** Re-raises a per-tensor failure with the tensor's name in front; cancellation passes through. */
export function inTensor<T>(name: string, work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    if (err instanceof NmsparseError && err.code !== 'E_ABORTED') {
      throw new NmsparseError(err.code, `tensor ${JSON.stringify(displayText(name, 80))}: ${err.message}`, { cause: err });
    }
    throw err;
  });
}

export function countOnes(mask: Uint8Array): number {
  let kept = 0;
  for (let i = 0; i < mask.length; i++) kept += mask[i];
  return kept;
}

/** Splits a checkpoint's tensors into those that get a mask (with their matrix shape) and the rest. */
export function planTensors(reader: TensorStore, selection: Selection) {
  const targets = new Map<string, { rows: number; cols: number }>();
  const skipped: Skipped[] = [];
  for (const t of reader.tensors) {
    const e = eligibility(t, selection);
    if (e.eligible) targets.set(t.name, { rows: e.rows, cols: e.cols });
    else skipped.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], reason: e.reason });
  }
  return { targets, skipped };
}

/** E_SHAPE, with the `inspect` command that says why, when no tensor of `input` can take a mask. */
export function requireTargets(targets: ReadonlyMap<string, unknown>, input: string, pattern: Pattern & { fill: Fill }, selection: Selection): void {
  if (targets.size === 0) {
    throw new NmsparseError('E_SHAPE', `no tensor of ${displayText(input, 120)} can take a ${maskKindText(pattern)} mask; run '${inspectHint(input, selection)}' to see why`);
  }
}

export function printSkipped(skipped: readonly Skipped[], out: CliOutput): void {
  if (skipped.length === 0) return;
  out.print(`skipped ${skipped.length} tensor(s):`);
  const rows = skipped.map((x) => [x.name, x.dtype, formatShape(x.shape), x.reason]);
  for (const line of formatTable([left('name'), left('dtype'), left('shape'), left('reason')], rows)) out.print(line);
}


/** What decides the masks and which tensors get one: the settings a partial result records. */
function partialSettings(s: MaskSettings, run: CheckpointRun): Record<string, unknown> {
  const solver = s.transposable ? { method: s.method, fill: s.fill, ...(s.method === 'tsenor' ? { tsenor: s.tsenor } : {}) } : {};
  const { conv, include, exclude } = run.selection;
  const selection = { conv, include: include.map((r) => r.source), exclude: exclude.map((r) => r.source) };
  return { n: s.n, m: s.m, transposable: s.transposable, ...solver, score: s.score, maskDtype: run.maskDtype, backend: s.backend, ...selection };
}

/** The run's outputs, known from the headers: which tensors this run masks, and every file it writes. */
function planOutputs(reader: TensorStore, targets: ReadonlyMap<string, { rows: number; cols: number }>, s: MaskSettings, run: CheckpointRun) {
  const source = outputSource(reader, settingsEntry(s));
  const placed = placedTensors(reader);
  const all = maskEntries(placed, targets, run.maskDtype);
  const shard = run.shard;
  let mine = all;
  let masks: SafetensorsOutputPlan;
  if (shard) {
    const shardOf = partition(all.map((p) => ({ name: p.entry.name, cost: tensorCost(p.entry.shape) })), shard.count);
    mine = all.filter((p) => shardOf.get(p.entry.name) === shard.index - 1);
    const whole = { settings: partialSettings(s, run), fingerprint: inputFingerprint(reader), source, targets: all.map((p): [string, number, number[]] => [p.entry.name, p.group, p.entry.shape]) };
    masks = planSafetensorsOutput(run.output, [{ entries: mine.map((p) => p.entry), metadata: partialMetadata(whole, shard) }]);
  } else {
    masks = planOutput(run.output, all, source, run.maxShardSize);
  }
  const pruned = run.apply === undefined ? undefined : planOutput(run.apply, placed, source, run.maxShardSize);
  return { names: mine.map((p) => p.entry.name), total: all.length, masks, pruned };
}

interface RunResult {
  reports: TensorReport[];
  skipped: Skipped[];
  /** How many tensors the whole run masks (more than `reports` with --shard). */
  total: number;
  backend: string;
  elements: number;
  seconds: number;
}

function printReport(s: MaskSettings, run: CheckpointRun, r: RunResult, out: CliOutput): void {
  const summary = {
    input: run.input,
    output: run.output,
    ...(run.apply ? { pruned: run.apply } : {}),
    ...(run.shard ? { shard: { index: run.shard.index, count: run.shard.count, tensors: r.total } } : {}),
    pattern: `${s.n}:${s.m}`,
    transposable: s.transposable,
    ...(s.transposable ? { method: s.method, fill: s.fill, ...(s.method === 'tsenor' ? { tsenor: s.tsenor } : {}) } : {}),
    score: s.score,
    backend: r.backend,
    elements: r.elements,
    seconds: r.seconds,
  };
  if (run.json) {
    out.print(JSON.stringify({ ...summary, tensors: r.reports, skipped: r.skipped }));
    return;
  }
  const kind = `${maskKindText(s, s.method)} masks for ${r.reports.length}`;
  const which = run.shard ? `shard ${run.shard.index}/${run.shard.count}: ${kind} of ${r.total} tensor(s)` : `${kind} tensor(s)`;
  out.print(`${which} → ${displayText(run.output)}${run.apply ? `, pruned weights → ${displayText(run.apply)}` : ''}`);
  const rows = r.reports.map((t) => [t.name, t.dtype, formatShape(t.shape), t.objective.toPrecision(8), t.gap === undefined ? '(--certify)' : formatGap(t.gap), t.seconds.toFixed(2)]);
  const columns = [left('name'), left('dtype'), left('shape'), right('objective'), right('certified gap'), right('seconds')];
  for (const line of formatTable(columns, rows)) out.print(line);
  printSkipped(r.skipped, out);
  const rate = r.elements > 0 ? ` (${(r.elements / r.seconds / 1e6).toFixed(2)} M/s)` : '';
  out.print(`${r.elements} elements in ${r.seconds.toFixed(2)} s${rate}${r.backend ? `, backend ${r.backend}` : ''}`);
}

export async function maskCheckpointFile(s: MaskSettings, run: CheckpointRun, out: CliOutput): Promise<number> {
  const reader = await openCheckpoint(run.input);
  try {
    const { targets, skipped } = planTensors(reader, run.selection);
    requireTargets(targets, run.input, s, run.selection);
    const plan = planOutputs(reader, targets, s, run);
    const matrix = (name: string) => targets.get(name) as { rows: number; cols: number };
    const elements = plan.names.reduce((sum, name) => sum + matrix(name).rows * matrix(name).cols, 0);
    const specs = [...outputSpecs(plan.masks, '-o'), ...(plan.pruned ? outputSpecs(plan.pruned, '--apply') : [])];
    const options = { force: run.force, inputs: [run.input, ...reader.files], signal: run.signal, stderr: run.stderr };
    return await withOutputs(specs, options, async (files) => {
      const start = performance.now();
      const progress = run.progress(plan.names.length, elements);
      const reports: TensorReport[] = [];
      let backend = '';
      // Decoded into f32 buffers handed back once each solve has resolved (floatBuffers.ts).
      const buffers = new FloatBuffers();
      // Masks go into one array, reused while tensors keep its size: streamMaskOutputs writes each
      // mask (and its pruned weights) before it asks for the next, and a new array's first touch
      // costs up to ~70 ms per 16 MB on some machines (docs/benchmarks.md, "Fifth round").
      let maskArray = new Uint8Array(0);
      const maskInto = (length: number) => (maskArray.length === length ? maskArray : (maskArray = new Uint8Array(length)));
      const prepare = async (name: string, raw: Uint8Array | undefined) => {
        const { rows, cols } = matrix(name);
        return decodeFloats(raw as Uint8Array, FLOAT_DTYPES[reader.tensor(name).dtype as FloatDtype], buffers.take(rows * cols));
      };
      const maskOf = async (name: string, data: Float32Array) => {
        const t = reader.tensor(name);
        progress.startTensor(name, data.length);
        const into = maskInto(data.length);
        const r = await inTensor(name, () => solveMask({ ...matrix(name), data }, s, run.signal, (f) => progress.advance(f), into));
        buffers.give(data); // the solve has resolved: nothing reads the scores any more
        progress.finishTensor();
        backend = r.backend;
        reports.push({ name, dtype: t.dtype, shape: [...t.shape], objective: r.objective, ...r.certificate, kept: countOnes(r.mask), seconds: r.seconds });
        return r.mask;
      };
      try {
        await streamMaskOutputs({
          model: reader,
          targets: plan.names,
          prepare,
          maskOf,
          masks: await SafetensorsOutput.open(files, plan.masks),
          ...(plan.pruned ? { pruned: await SafetensorsOutput.open(files, plan.pruned) } : {}),
          signal: run.signal,
        });
      } finally {
        progress.close();
      }
      await files.commit(); // before the report: what it names exists
      printReport(s, run, { reports, skipped, total: plan.total, backend, elements, seconds: (performance.now() - start) / 1000 }, out);
      return 0;
    });
  } finally {
    await reader.close();
  }
}
