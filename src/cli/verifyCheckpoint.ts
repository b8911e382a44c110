/**
 * `nmsparse verify MODEL.safetensors MASKS.safetensors`: every mask in MASKS checked against the
 * weights of the same name (validity, objective, certified gap). Coverage counts too: a tensor of
 * MODEL that the pattern and selection apply to (as `nmsparse mask` would pick it) without a mask in
 * MASKS is a failure, and so is a MASKS file with no mask at all, unless --allow-missing.
 * Exit 0 when every mask is valid and none is missing, 1 otherwise.
 */
import { certify, scoresFrom, type Certificate } from '../index.js';
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { openSafetensorsFile, type SafetensorsReader, type TensorInfo } from '../io/index.js';
import type { CliOutput } from './command.js';
import { displayText } from '../core/text.js';
import { matrixShape } from './eligibility.js';
import { inTensor, planTensors } from './maskCheckpoint.js';
import type { ProgressReporter } from './progress.js';
import type { Selection } from './sharedFlags.js';
import { maskKindText } from './solveMask.js';
import { formatGap, formatShape, formatTable, left, right } from './table.js';
import type { VerifySettings } from './verifyMatrix.js';

interface VerifyReport extends Certificate {
  name: string;
  shape: number[];
}

/** Checks one mask tensor against its weight tensor; shape and dtype problems name the tensor. */
async function verifyTensor(model: SafetensorsReader, masks: SafetensorsReader, info: TensorInfo, v: VerifySettings, signal: AbortSignal): Promise<VerifyReport> {
  return inTensor(info.name, async () => {
    const weight = model.tensor(info.name);
    if (formatShape(weight.shape) !== formatShape(info.shape)) {
      throw new NmsparseError('E_SHAPE', `the mask is ${formatShape(info.shape)} but the weight is ${formatShape(weight.shape)}`);
    }
    const matrix = matrixShape(info.shape, true);
    if (!matrix) throw new NmsparseError('E_SHAPE', `the mask is ${info.shape.length}-D; masks are 2-D, or 4-D for convolutions`);
    const scores = scoresFrom({ ...matrix, data: await model.readFloats(weight) }, v.score);
    const mask = await masks.readMask(info);
    const c = await certify(scores, mask, { n: v.n, m: v.m, transposable: v.transposable, fill: v.fill, backend: v.backend, signal });
    return { name: info.name, shape: [...info.shape], ...c };
  });
}

export interface CoverageRun {
  selection: Selection;
  allowMissing: boolean;
  signal: AbortSignal;
  progress: (tensors: number, elements: number) => ProgressReporter;
}

async function verifyAll(model: SafetensorsReader, masks: SafetensorsReader, v: VerifySettings, run: CoverageRun): Promise<VerifyReport[]> {
  const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);
  const progress = run.progress(masks.tensors.length, masks.tensors.reduce((sum, t) => sum + size(t), 0));
  const reports: VerifyReport[] = [];
  try {
    for (const t of masks.tensors) {
      throwIfAborted(run.signal);
      progress.startTensor(t.name, size(t));
      reports.push(await verifyTensor(model, masks, t, v, run.signal));
      progress.finishTensor();
    }
  } finally {
    progress.close();
  }
  return reports;
}

export async function verifyCheckpointFiles(modelPath: string, masksPath: string, v: VerifySettings, run: CoverageRun, out: CliOutput): Promise<number> {
  const model = await openSafetensorsFile(modelPath);
  try {
    const masks = await openSafetensorsFile(masksPath);
    try {
      const reports = await verifyAll(model, masks, v, run);
      const masked = new Set(masks.tensors.map((t) => t.name));
      const missing = [...planTensors(model, run.selection).targets.keys()].filter((name) => !masked.has(name));
      const invalid = reports.filter((r) => !r.valid);
      // Nothing checked proves nothing: an empty MASKS file fails like a missing mask.
      const uncovered = !run.allowMissing && (missing.length > 0 || reports.length === 0);
      const ok = invalid.length === 0 && !uncovered;
      if (v.json) {
        out.print(
          JSON.stringify({ model: modelPath, masks: masksPath, pattern: `${v.n}:${v.m}`, transposable: v.transposable, fill: v.fill, valid: ok, missing, tensors: reports }),
        );
        return ok ? 0 : 1;
      }
      out.print(`${maskKindText(v)}: ${reports.length - invalid.length} of ${reports.length} mask(s) valid`);
      const columns = [left('name'), left('shape'), left('valid'), right('objective'), right('upper bound'), right('certified gap')];
      const rows = reports.map((r) => [r.name, formatShape(r.shape), r.valid ? 'yes' : `NO (${r.violationCount})`, r.objective.toPrecision(8), r.upperBound.toPrecision(8), formatGap(r.gap)]);
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
