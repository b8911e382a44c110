/**
 * `nmsparse mask MODEL.safetensors -o MASKS.safetensors`: a mask for every eligible tensor (2-D float
 * tensors whose shape fits the pattern, 4-D convolutions with --conv), streamed one tensor at a time in
 * file order; the masks (and with --apply the pruned weights in their own dtype, other tensors copied
 * as they are) go to the run's outputs, which appear together only when all of it succeeded.
 */
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { decodeFloats, FLOAT_DTYPES, openCheckpoint, SafetensorsWriter, type FloatDtype, type TensorStore } from '../io/index.js';
import type { CliOutput } from './command.js';
import { displayText } from '../core/text.js';
import { eligibility } from './eligibility.js';
import { pauseForTests } from './interrupt.js';
import { Prefetcher } from './prefetch.js';
import { FloatBuffers } from './floatBuffers.js';
import type { MatrixRun } from './maskMatrix.js';
import type { ProgressReporter } from './progress.js';
import type { Fill } from '../index.js';
import { inspectHint, type Pattern, type Selection } from './sharedFlags.js';
import { maskKindText, solveMask, type MaskSettings } from './solveMask.js';
import { formatGap, formatShape, formatTable, left, right } from './table.js';

export interface CheckpointRun extends MatrixRun {
  apply?: string;
  maskDtype: 'U8' | 'BOOL';
  selection: Selection;
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

/** Zeroes the stored bytes of every element the mask drops (+0 in every float dtype). */
export function zeroPruned(raw: Uint8Array, mask: Uint8Array): Uint8Array {
  const itemSize = raw.length / mask.length;
  const bytes = raw.byteOffset % 4 === 0 ? raw : new Uint8Array(raw); // word views need alignment
  const wordSize = Math.min(itemSize, 4);
  const perItem = itemSize / wordSize;
  const words =
    wordSize === 1
      ? bytes
      : wordSize === 2
        ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)
        : new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) for (let w = 0; w < perItem; w++) words[i * perItem + w] = 0;
  }
  return bytes;
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

async function streamMasks(
  reader: TensorStore,
  targets: Map<string, { rows: number; cols: number }>,
  s: MaskSettings,
  run: CheckpointRun,
  progress: ProgressReporter,
): Promise<{ reports: TensorReport[]; backend: string }> {
  const settings = { n: s.n, m: s.m, transposable: s.transposable, score: s.score };
  const metadata = {
    ...reader.metadata,
    nmsparse: JSON.stringify(s.transposable ? { ...settings, method: s.method, fill: s.fill } : settings),
  };
  const maskEntries = reader.tensors.filter((t) => targets.has(t.name)).map((t) => ({ name: t.name, dtype: run.maskDtype, shape: t.shape }));
  const masks = await SafetensorsWriter.into(run.files.file(run.output), maskEntries, metadata);
  const pruned = run.apply ? await SafetensorsWriter.into(run.files.file(run.apply), reader.tensors, metadata) : undefined;
  const reports: TensorReport[] = [];
  let backend = '';
  // The next target is read and decoded while the pool solves the current one.
  const buffers = new FloatBuffers();
  const inputs = new Prefetcher(
    reader.tensors.filter((t) => targets.has(t.name)),
    async (t) => {
      const raw = await reader.readBytes(t);
      const size = t.shape.reduce((a, b) => a * b, 1);
      const data = decodeFloats(raw, FLOAT_DTYPES[t.dtype as FloatDtype], buffers.take(size));
      // The stored bytes are kept only for --apply: two tensors' worth of memory less without it.
      return { raw: pruned ? raw : undefined, data };
    },
  );
  try {
    for (const t of reader.tensors) {
      throwIfAborted(run.signal);
      const target = targets.get(t.name);
      if (!target) {
        if (pruned) await pruned.writeTensor(await reader.readBytes(t));
        continue;
      }
      progress.startTensor(t.name, target.rows * target.cols);
      const { raw, data } = await inputs.take();
      const r = await inTensor(t.name, () => solveMask({ ...target, data }, s, run.signal, (f) => progress.advance(f)));
      buffers.give(data); // the solve has resolved: nothing reads the scores any more
      backend = r.backend;
      await masks.writeTensor(r.mask);
      if (pruned && raw) await pruned.writeTensor(zeroPruned(raw, r.mask));
      progress.finishTensor();
      reports.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], objective: r.objective, ...r.certificate, kept: countOnes(r.mask), seconds: r.seconds });
      await pauseForTests(`tensor-${reports.length}`, run.signal);
    }
    await masks.commit();
    await pruned?.commit();
  } finally {
    progress.close();
  }
  return { reports, backend };
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

export async function maskCheckpointFile(s: MaskSettings, run: CheckpointRun, out: CliOutput): Promise<number> {
  const reader = await openCheckpoint(run.input);
  try {
    const { targets, skipped } = planTensors(reader, run.selection);
    requireTargets(targets, run.input, s, run.selection);
    const elements = [...targets.values()].reduce((sum, x) => sum + x.rows * x.cols, 0);
    const start = performance.now();
    const { reports, backend } = await streamMasks(reader, targets, s, run, run.progress(targets.size, elements));
    await run.files.commit(); // before the report: what it names exists
    const seconds = (performance.now() - start) / 1000;
    const summary = {
      input: run.input,
      output: run.output,
      ...(run.apply ? { pruned: run.apply } : {}),
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
    out.print(`${maskKindText(s, s.method)} masks for ${reports.length} tensor(s) → ${displayText(run.output)}${run.apply ? `, pruned weights → ${displayText(run.apply)}` : ''}`);
    const rows = reports.map((r) => [r.name, r.dtype, formatShape(r.shape), r.objective.toPrecision(8), r.gap === undefined ? '(--certify)' : formatGap(r.gap), r.seconds.toFixed(2)]);
    const columns = [left('name'), left('dtype'), left('shape'), right('objective'), right('certified gap'), right('seconds')];
    for (const line of formatTable(columns, rows)) out.print(line);
    printSkipped(skipped, out);
    out.print(`${elements} elements in ${seconds.toFixed(2)} s (${(elements / seconds / 1e6).toFixed(2)} M/s), backend ${backend}`);
    return 0;
  } finally {
    await reader.close();
  }
}
