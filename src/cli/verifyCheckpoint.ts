/**
 * `nmsparse verify MODEL.safetensors MASKS.safetensors`: every mask in MASKS checked against its
 * weights (validity, objective, certified gap): the weights of the same name, or the ones other tools'
 * mask names point to (maskNames.ts); MASKS may be MODEL itself. Coverage counts too: a tensor of
 * MODEL that the pattern and selection apply to (as `nmsparse mask` would pick it) without a mask in
 * MASKS is a failure, and so is a MASKS file with no mask at all, unless --allow-missing.
 * Exit 0 when every mask is valid and none is missing, 1 otherwise.
 */
import { certify, type Certificate, type Matrix } from '../index.js';
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { openCheckpoint, type TensorStore, type TensorInfo } from '../io/index.js';
import { resolve } from 'node:path';
import type { CliOutput } from './command.js';
import { pairMasks, type MaskPair } from './maskNames.js';
import { displayText } from '../core/text.js';
import { matrixShape } from './eligibility.js';
import { inTensor, planTensors } from './maskCheckpoint.js';
import type { ProgressReporter } from './progress.js';
import type { Selection } from './sharedFlags.js';
import { maskKindText, scoresInPlace } from './solveMask.js';
import { Prefetcher } from './prefetch.js';
import { FloatBuffers } from './floatBuffers.js';
import { formatGap, formatShape, formatTable, left, right } from './table.js';
import type { VerifySettings } from './verifyMatrix.js';

interface VerifyReport extends Certificate {
  /** The weight tensor's name, and the mask's when it is another. */
  name: string;
  mask?: string;
  shape: number[];
  /** Wall-clock seconds of the certificate (read and decode not included). */
  seconds: number;
}

/** A pair read and checked for shape: its scores and mask, ready to certify. */
interface LoadedPair {
  pair: MaskPair;
  shape: number[];
  scores: Matrix;
  mask: Uint8Array | Float32Array | Float64Array;
}

/** Reads one mask tensor and its weight tensor's scores; shape and dtype problems name the tensor. */
function loadPair(model: TensorStore, masks: TensorStore, pair: MaskPair, v: VerifySettings, buffers: FloatBuffers): Promise<LoadedPair> {
  const info = masks.tensor(pair.mask);
  return inTensor(pair.mask, async () => {
    const weight = model.tensor(pair.weight);
    if (formatShape(weight.shape) !== formatShape(info.shape)) {
      throw new NmsparseError('E_SHAPE', `the mask is ${formatShape(info.shape)} but the weight is ${formatShape(weight.shape)}`);
    }
    const matrix = matrixShape(info.shape, true);
    if (!matrix) throw new NmsparseError('E_SHAPE', `the mask is ${info.shape.length}-D; masks are 2-D, or 4-D for convolutions`);
    // The decoded weights are this run's own: their scores are formed in place.
    const scores = scoresInPlace({ ...matrix, data: await model.readFloats(weight, buffers.take(matrix.rows * matrix.cols)) }, v.score);
    return { pair, shape: [...info.shape], scores, mask: await masks.readMask(info) };
  });
}

/** Certifies one loaded pair. */
function verifyPair({ pair, shape, scores, mask }: LoadedPair, v: VerifySettings, signal: AbortSignal): Promise<VerifyReport> {
  return inTensor(pair.mask, async () => {
    const start = performance.now();
    const c = await certify(scores, mask, { n: v.n, m: v.m, transposable: v.transposable, fill: v.fill, backend: v.backend, signal });
    const seconds = (performance.now() - start) / 1000;
    return { name: pair.weight, ...(pair.mask === pair.weight ? {} : { mask: pair.mask }), shape, ...c, seconds };
  });
}

export interface CoverageRun {
  selection: Selection;
  /** --mask-name: how masks are named after their weights. */
  maskName?: string;
  allowMissing: boolean;
  signal: AbortSignal;
  progress: (tensors: number, elements: number) => ProgressReporter;
}

async function verifyAll(model: TensorStore, masks: TensorStore, pairs: readonly MaskPair[], v: VerifySettings, run: CoverageRun): Promise<VerifyReport[]> {
  const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);
  const progress = run.progress(pairs.length, pairs.reduce((sum, p) => sum + size(masks.tensor(p.mask)), 0));
  const reports: VerifyReport[] = [];
  // The next pair is read and decoded while the pool solves the current one's certificate.
  const buffers = new FloatBuffers();
  const loaded = new Prefetcher(pairs, (pair) => loadPair(model, masks, pair, v, buffers));
  try {
    for (const pair of pairs) {
      throwIfAborted(run.signal);
      progress.startTensor(pair.mask, size(masks.tensor(pair.mask)));
      const next = await loaded.take();
      reports.push(await verifyPair(next, v, run.signal));
      buffers.give(next.scores.data); // certify has resolved: nothing reads the scores any more
      progress.finishTensor();
    }
  } finally {
    progress.close();
  }
  return reports;
}

export async function verifyCheckpointFiles(modelPath: string, masksPath: string, v: VerifySettings, run: CoverageRun, out: CliOutput): Promise<number> {
  const model = await openCheckpoint(modelPath);
  try {
    const masks = await openCheckpoint(masksPath);
    try {
      const sameFile = resolve(modelPath) === resolve(masksPath);
      const weights = new Set(model.tensors.map((t) => t.name));
      const pairs = pairMasks(masks.tensors.map((t) => t.name), weights, { sameFile, template: run.maskName });
      const start = performance.now();
      const reports = await verifyAll(model, masks, pairs, v, run);
      const seconds = (performance.now() - start) / 1000;
      const masked = new Set(pairs.map((p) => p.weight));
      const maskNames = new Set(pairs.map((p) => p.mask));
      // In a model that holds its own masks, the masks are not weights that lack one.
      const missing = [...planTensors(model, run.selection).targets.keys()].filter((name) => !masked.has(name) && !maskNames.has(name));
      const invalid = reports.filter((r) => !r.valid);
      // Nothing checked proves nothing: an empty MASKS file fails like a missing mask.
      const uncovered = !run.allowMissing && (missing.length > 0 || reports.length === 0);
      const ok = invalid.length === 0 && !uncovered;
      if (v.json) {
        out.print(
          JSON.stringify({ model: modelPath, masks: masksPath, pattern: `${v.n}:${v.m}`, transposable: v.transposable, fill: v.fill, valid: ok, missing, seconds, tensors: reports }),
        );
        return ok ? 0 : 1;
      }
      out.print(`${maskKindText(v)}: ${reports.length - invalid.length} of ${reports.length} mask(s) valid`);
      const columns = [left('name'), left('shape'), left('valid'), right('objective'), right('upper bound'), right('certified gap')];
      const rows = reports.map((r) => [r.mask ? `${r.name} (mask ${r.mask})` : r.name, formatShape(r.shape), r.valid ? 'yes' : `NO (${r.violationCount})`, r.objective.toPrecision(8), r.upperBound.toPrecision(8), formatGap(r.gap)]);
      if (reports.length > 0) for (const line of formatTable(columns, rows)) out.print(line);
      for (const r of invalid) for (const violation of r.violations) out.print(`  ${displayText(r.name, 80)}: ${JSON.stringify(violation)}`);
      if (missing.length > 0) {
        const verdict = run.allowMissing ? 'allowed by --allow-missing' : 'add them, or pass --allow-missing';
        out.print(`${missing.length} tensor(s) the pattern applies to have no mask (${verdict}):`);
        for (const name of missing) out.print(`  ${displayText(name, 80)}`);
      } else if (reports.length === 0) {
        out.print(`${displayText(masksPath)} holds no mask${run.allowMissing ? ' (allowed by --allow-missing)' : ''}`);
      }
      return ok ? 0 : 1;
    } finally {
      await masks.close();
    }
  } finally {
    await model.close();
  }
}
