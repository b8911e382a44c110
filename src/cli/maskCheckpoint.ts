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
import { outputSpecs, planSafetensorsOutput, SafetensorsOutput } from '../io/safetensorsOutput.js';
import type { CliOutput, OutputStream } from './command.js';
import { displayText } from '../core/text.js';
import { eligibility } from './eligibility.js';
import { withOutputs } from './interrupt.js';
import { outputGroups, outputSource, placedTensors, settingsEntry, type PlacedEntry } from './maskLayout.js';
import { streamMaskOutputs } from './maskStream.js';
import { inputFingerprint, partialMetadata } from './partial.js';
import { partition, type ShardSpec } from './partition.js';
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

export async function maskCheckpointFile(s: MaskSettings, run: CheckpointRun, out: CliOutput): Promise<number> {
  const reader = await openCheckpoint(run.input);
  try {
    const { targets, skipped } = planTensors(reader, run.selection);
    requireTargets(targets, run.input, s, run.selection);
    const source = outputSource(reader, settingsEntry(s));
    const placed = placedTensors(reader);
    const masks: PlacedEntry[] = placed.filter((p) => targets.has(p.entry.name)).map((p) => ({ ...p, entry: { ...p.entry, dtype: run.maskDtype } }));
    const sizeOf = (name: string) => {
      const t = targets.get(name) as { rows: number; cols: number };
      return t.rows * t.cols;
    };
    let mine = masks;
    let masksPlan;
    if (run.shard) {
      const shardOf = partition(masks.map((p) => ({ name: p.entry.name, cost: sizeOf(p.entry.name) })), run.shard.count);
      mine = masks.filter((p) => shardOf.get(p.entry.name) === (run.shard as ShardSpec).index - 1);
      const whole = { settings: partialSettings(s, run), fingerprint: inputFingerprint(reader), source, targets: masks.map((p): [string, number] => [p.entry.name, p.group]) };
      masksPlan = planSafetensorsOutput(run.output, [{ entries: mine.map((p) => p.entry), metadata: partialMetadata(whole, run.shard) }]);
    } else {
      masksPlan = planSafetensorsOutput(run.output, outputGroups(run.output, masks, source, run.maxShardSize));
    }
    const prunedPlan = run.apply === undefined ? undefined : planSafetensorsOutput(run.apply, outputGroups(run.apply, placed, source, run.maxShardSize));
    const specs = [...outputSpecs(masksPlan, '-o'), ...(prunedPlan ? outputSpecs(prunedPlan, '--apply') : [])];
    const names = mine.map((p) => p.entry.name);
    const elements = names.reduce((sum, name) => sum + sizeOf(name), 0);
    const options = { force: run.force, inputs: [run.input, ...reader.files], signal: run.signal, stderr: run.stderr };
    return await withOutputs(specs, options, async (files) => {
      const start = performance.now();
      const progress = run.progress(names.length, elements);
      const reports: TensorReport[] = [];
      let backend = '';
      try {
        const maskOf = async (name: string, raw: Uint8Array | undefined) => {
          const t = reader.tensor(name);
          const weights = { ...(targets.get(name) as { rows: number; cols: number }), data: decodeFloats(raw as Uint8Array, FLOAT_DTYPES[t.dtype as FloatDtype]) };
          progress.startTensor(name, weights.rows * weights.cols);
          const r = await inTensor(name, () => solveMask(weights, s, run.signal, (f) => progress.advance(f)));
          progress.finishTensor();
          backend = r.backend;
          reports.push({ name, dtype: t.dtype, shape: [...t.shape], objective: r.objective, ...r.certificate, kept: countOnes(r.mask), seconds: r.seconds });
          return r.mask;
        };
        await streamMaskOutputs({
          model: reader,
          targets: names,
          maskOf,
          masks: await SafetensorsOutput.open(files, masksPlan),
          ...(prunedPlan ? { pruned: await SafetensorsOutput.open(files, prunedPlan) } : {}),
          signal: run.signal,
        });
      } finally {
        progress.close();
      }
      await files.commit(); // before the report: what it names exists
      const seconds = (performance.now() - start) / 1000;
      const shard = run.shard ? { shard: { index: run.shard.index, count: run.shard.count, tensors: masks.length } } : {};
      const summary = {
        input: run.input,
        output: run.output,
        ...(run.apply ? { pruned: run.apply } : {}),
        ...shard,
        pattern: `${s.n}:${s.m}`,
        transposable: s.transposable,
        ...(s.transposable ? { method: s.method, fill: s.fill, ...(s.method === 'tsenor' ? { tsenor: s.tsenor } : {}) } : {}),
        score: s.score,
        backend,
        elements,
        seconds,
      };
      if (run.json) {
        out.print(JSON.stringify({ ...summary, tensors: reports, skipped }));
        return 0;
      }
      const which = run.shard ? `shard ${run.shard.index}/${run.shard.count}: ${maskKindText(s, s.method)} masks for ${reports.length} of ${masks.length} tensor(s)` : `${maskKindText(s, s.method)} masks for ${reports.length} tensor(s)`;
      out.print(`${which} → ${displayText(run.output)}${run.apply ? `, pruned weights → ${displayText(run.apply)}` : ''}`);
      const rows = reports.map((r) => [r.name, r.dtype, formatShape(r.shape), r.objective.toPrecision(8), r.gap === undefined ? '(--certify)' : formatGap(r.gap), r.seconds.toFixed(2)]);
      const columns = [left('name'), left('dtype'), left('shape'), right('objective'), right('certified gap'), right('seconds')];
      for (const line of formatTable(columns, rows)) out.print(line);
      printSkipped(skipped, out);
      const rate = elements > 0 ? ` (${(elements / seconds / 1e6).toFixed(2)} M/s)` : '';
      out.print(`${elements} elements in ${seconds.toFixed(2)} s${rate}${backend ? `, backend ${backend}` : ''}`);
      return 0;
    });
  } finally {
    await reader.close();
  }
}
