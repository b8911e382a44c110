import { resolve } from 'node:path';
import { certify, type Certificate } from '../verify/certify.js';
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { checkOutputPath } from '../io/atomicWrite.js';
import { decodeFloats } from '../io/floatCodec.js';
import {
  DTYPE_SIZE,
  FLOAT_DTYPES,
  openSafetensorsFile,
  SafetensorsWriter,
  type FloatDtype,
  type SafetensorsReader,
  type TensorInfo,
} from '../io/safetensors.js';
import { standardMask, transposableMask } from '../masks.js';
import { validatePattern } from '../core/matrix.js';
import { scoresFrom, type ScoreKind } from '../scores.js';
import { choiceFlag, integerFlag, parseCommandArgs } from './args.js';
import { eligibility, matrixShape, regexFlag, type Selection } from './eligibility.js';
import { withInterrupt } from './interrupt.js';
import { ProgressReporter, progressMode } from './progress.js';
import { BACKEND_CHOICES, FILL_CHOICES, METHOD_CHOICES, SCORE_CHOICES, formatGap, print } from './shared.js';
import type { Fill, BackendChoice, Progress, TransposableMethod } from '../core/types.js';

const MASK_USAGE =
  'nmsparse mask MODEL.safetensors --n N --m M [--transposable] [--method exact|tsenor|greedy] [--fill exact|at-most] ' +
  '[--score abs|raw] [--backend auto|reference|wasm|gpu] [--include REGEX] [--exclude REGEX] [--conv] ' +
  '[--mask-dtype u8|bool] [--certify] -o MASKS.safetensors [--apply PRUNED.safetensors] [--force] [--json] [--quiet]';

const VERIFY_USAGE =
  'nmsparse verify MODEL.safetensors MASKS.safetensors --n N --m M [--transposable] [--fill exact|at-most] ' +
  '[--score abs|raw] [--backend auto|reference|wasm|gpu] [--json] [--quiet]';

const MASK_DTYPE_CHOICES = { u8: 'U8', bool: 'BOOL' } as const;

/** The flags shared by mask and verify. */
const PATTERN_FLAGS = {
  n: { type: 'string' },
  m: { type: 'string' },
  transposable: { type: 'boolean' },
  fill: { type: 'string' },
  score: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

interface Pattern {
  n: number;
  m: number;
  transposable: boolean;
  fill: Fill;
  score: ScoreKind;
  backend: BackendChoice;
}

function patternFlags(values: Record<string, unknown>, usage: string): Pattern {
  const n = integerFlag(values, 'n', usage);
  const m = integerFlag(values, 'm', usage);
  validatePattern(n, m);
  const transposable = values.transposable === true;
  if (!transposable && values.fill !== undefined) {
    throw new NmsparseError('E_OPTION', '--fill applies to transposable masks; add --transposable');
  }
  return {
    n,
    m,
    transposable,
    fill: choiceFlag(values, 'fill', FILL_CHOICES, 'exact'),
    score: choiceFlag(values, 'score', SCORE_CHOICES, 'abs'),
    backend: choiceFlag(values, 'backend', BACKEND_CHOICES, 'auto'),
  };
}

function patternName(p: Pattern, method?: TransposableMethod): string {
  return p.transposable ? `${p.n}:${p.m} transposable ${method ?? ''} (fill ${p.fill})`.replace('  ', ' ') : `${p.n}:${p.m} standard`;
}

/** Re-raises a per-tensor failure with the tensor's name in front; cancellation passes through. */
function inTensor<T>(name: string, work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    if (err instanceof NmsparseError && err.code !== 'E_ABORTED') {
      throw new NmsparseError(err.code, `tensor ${JSON.stringify(name)}: ${err.message}`, { cause: err });
    }
    throw err;
  });
}

function shapeText(shape: readonly number[]): string {
  return shape.join('×');
}

/** Zeroes the stored bytes of every element the mask drops (+0 in every float dtype). */
function zeroPruned(raw: Uint8Array, mask: Uint8Array, itemSize: number): Uint8Array {
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

interface MaskSettings extends Pattern {
  method: TransposableMethod;
  /** Also certify tsenor and greedy masks (one exact solve more per tensor). */
  certify: boolean;
}

interface TensorReport {
  name: string;
  dtype: string;
  shape: number[];
  objective: number;
  /** LP-dual bound and certified gap: always for exact and standard masks, for others with --certify. */
  upperBound?: number;
  gap?: number;
  kept: number;
  seconds: number;
}

interface Skipped {
  name: string;
  dtype: string;
  shape: number[];
  reason: string;
}

/** One tensor's mask through the public API; the standard mask is its own optimum (gap 0). */
async function maskTensor(
  weights: Float32Array,
  shape: { rows: number; cols: number },
  s: MaskSettings,
  signal: AbortSignal,
  onFraction: (fraction: number) => void,
) {
  const scores = scoresFrom({ ...shape, data: weights }, s.score);
  const common = { n: s.n, m: s.m, backend: s.backend, signal, onProgress: (p: Progress) => onFraction(p.done / p.total) };
  if (s.transposable) return transposableMask(scores, { ...common, method: s.method, fill: s.fill, certify: s.certify });
  const r = await standardMask(scores, common);
  return { ...r, upperBound: r.objective, gap: 0 };
}

function countOnes(mask: Uint8Array): number {
  let kept = 0;
  for (let i = 0; i < mask.length; i++) kept += mask[i] as number;
  return kept;
}

/** Splits a checkpoint's tensors into those that get a mask (with their matrix shape) and the rest. */
function planTensors(reader: SafetensorsReader, selection: Selection) {
  const targets = new Map<string, { rows: number; cols: number }>();
  const skipped: Skipped[] = [];
  for (const t of reader.tensors) {
    const e = eligibility(t, selection);
    if (e.eligible) targets.set(t.name, { rows: e.rows, cols: e.cols });
    else skipped.push({ name: t.name, dtype: t.dtype, shape: t.shape, reason: e.reason });
  }
  return { targets, skipped };
}

/**
 * Streams every tensor once, in file order: eligible ones are masked, and the masks (and with
 * --apply the pruned weights in their own dtype, other tensors copied as they are) go to temporary
 * files that are renamed into place only when all of it succeeded.
 */
async function maskCheckpoint(
  reader: SafetensorsReader,
  targets: Map<string, { rows: number; cols: number }>,
  s: MaskSettings,
  io: { output: string; apply?: string; maskDtype: 'U8' | 'BOOL'; force: boolean; signal: AbortSignal; progress: ProgressReporter },
): Promise<{ reports: TensorReport[]; backend: string }> {
  const inputs = [reader.name];
  const settings = { n: s.n, m: s.m, transposable: s.transposable, score: s.score };
  const metadata = {
    ...reader.metadata,
    nmsparse: JSON.stringify(s.transposable ? { ...settings, method: s.method, fill: s.fill } : settings),
  };
  const maskEntries = reader.tensors.filter((t) => targets.has(t.name)).map((t) => ({ name: t.name, dtype: io.maskDtype, shape: t.shape }));
  const masks = await SafetensorsWriter.create(io.output, maskEntries, metadata, { force: io.force, inputs });
  let pruned: SafetensorsWriter | undefined;
  const reports: TensorReport[] = [];
  let backend = '';
  try {
    if (io.apply) {
      pruned = await SafetensorsWriter.create(io.apply, reader.tensors, metadata, { force: io.force, inputs: [...inputs, io.output] });
    }
    for (const t of reader.tensors) {
      throwIfAborted(io.signal);
      const target = targets.get(t.name);
      if (!target) {
        if (pruned) await pruned.writeTensor(await reader.readBytes(t));
        continue;
      }
      io.progress.startTensor(t.name, target.rows * target.cols);
      const raw = await reader.readBytes(t);
      const weights = decodeFloats(raw, FLOAT_DTYPES[t.dtype as FloatDtype]);
      const r = await inTensor(t.name, () => maskTensor(weights, target, s, io.signal, (f) => io.progress.advance(f)));
      backend = r.backend;
      await masks.writeTensor(r.mask);
      if (pruned) await pruned.writeTensor(zeroPruned(raw, r.mask, DTYPE_SIZE[t.dtype]));
      io.progress.finishTensor();
      reports.push({
        name: t.name,
        dtype: t.dtype,
        shape: t.shape,
        objective: r.objective,
        ...(r.gap === undefined ? {} : { upperBound: r.upperBound, gap: r.gap }),
        kept: countOnes(r.mask),
        seconds: r.seconds,
      });
    }
    await masks.commit();
    await pruned?.commit();
  } catch (err) {
    await masks.discard();
    await pruned?.discard();
    throw err;
  } finally {
    io.progress.close();
  }
  return { reports, backend };
}

/** Left-aligned first column(s), right-aligned numbers. */
function printTable(header: string[], rows: string[][], leftColumns: number): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ').trimEnd();
  print(`  ${line(header)}`);
  for (const r of rows) print(`  ${line(r)}`);
}

function printSkipped(skipped: Skipped[]): void {
  if (skipped.length === 0) return;
  print(`skipped ${skipped.length} tensor(s):`);
  printTable(['name', 'dtype', 'shape', 'reason'], skipped.map((x) => [x.name, x.dtype, shapeText(x.shape), x.reason]), 4);
}

/**
 * `nmsparse mask MODEL.safetensors ...`: a mask for every eligible tensor (2-D float tensors whose
 * shape fits the pattern, 4-D convolutions with --conv), a per-tensor report and the skipped list.
 */
export async function maskCheckpointCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      ...PATTERN_FLAGS,
      method: { type: 'string' },
      include: { type: 'string' },
      exclude: { type: 'string' },
      conv: { type: 'boolean' },
      'mask-dtype': { type: 'string' },
      certify: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      apply: { type: 'string' },
      force: { type: 'boolean' },
    },
    MASK_USAGE,
  );
  if (positionals.length !== 1) throw new NmsparseError('E_OPTION', `expected one MODEL.safetensors; usage: ${MASK_USAGE}`);
  const input = positionals[0] as string;
  const output = values.output;
  if (typeof output !== 'string') throw new NmsparseError('E_OPTION', `-o MASKS.safetensors is required; usage: ${MASK_USAGE}`);
  const apply = typeof values.apply === 'string' ? values.apply : undefined;
  if (apply !== undefined && resolve(apply) === resolve(output)) {
    throw new NmsparseError('E_OPTION', '--apply and -o name the same file; the masks and the pruned weights need two files');
  }
  const pattern = patternFlags(values, MASK_USAGE);
  if (!pattern.transposable && values.method !== undefined) {
    throw new NmsparseError('E_OPTION', '--method applies to transposable masks; add --transposable');
  }
  const settings: MaskSettings = {
    ...pattern,
    method: choiceFlag(values, 'method', METHOD_CHOICES, 'exact'),
    certify: values.certify === true,
  };
  const maskDtype = choiceFlag(values, 'mask-dtype', MASK_DTYPE_CHOICES, 'U8');
  const selection: Selection = {
    m: pattern.m,
    transposable: pattern.transposable,
    conv: values.conv === true,
    include: regexFlag(values.include, 'include'),
    exclude: regexFlag(values.exclude, 'exclude'),
  };
  const force = values.force === true;
  const json = values.json === true;

  return withInterrupt(async (signal) => {
    const reader = await openSafetensorsFile(input);
    try {
      const { targets, skipped } = planTensors(reader, selection);
      if (targets.size === 0) {
        throw new NmsparseError('E_SHAPE', `no tensor of ${input} can take a ${patternName(pattern)} mask; run 'nmsparse inspect ${input} --m ${pattern.m}' to see why`);
      }
      await checkOutputPath(output, { force, inputs: [input] });
      if (apply) await checkOutputPath(apply, { force, inputs: [input, output] });
      const elements = [...targets.values()].reduce((sum, x) => sum + x.rows * x.cols, 0);
      const progress = new ProgressReporter(targets.size, elements, progressMode(process.stderr, values.quiet === true || json), process.stderr);
      const start = performance.now();
      const { reports, backend } = await maskCheckpoint(reader, targets, settings, { output, apply, maskDtype, force, signal, progress });
      const seconds = (performance.now() - start) / 1000;
      const summary = {
        input,
        output,
        ...(apply ? { pruned: apply } : {}),
        pattern: `${pattern.n}:${pattern.m}`,
        transposable: pattern.transposable,
        ...(pattern.transposable ? { method: settings.method, fill: pattern.fill } : {}),
        score: pattern.score,
        backend,
        elements,
        seconds,
      };
      if (json) {
        print(JSON.stringify({ ...summary, tensors: reports, skipped }));
        return 0;
      }
      print(`${patternName(pattern, settings.method)} masks for ${reports.length} tensor(s) → ${output}${apply ? `, pruned weights → ${apply}` : ''}`);
      printTable(
        ['name', 'dtype', 'shape', 'objective', 'certified gap', 'seconds'],
        reports.map((r) => [r.name, r.dtype, shapeText(r.shape), r.objective.toPrecision(8), r.gap === undefined ? '(--certify)' : formatGap(r.gap), r.seconds.toFixed(2)]),
        3,
      );
      printSkipped(skipped);
      print(`${elements} elements in ${seconds.toFixed(2)} s (${(elements / seconds / 1e6).toFixed(2)} M/s), backend ${backend}`);
      return 0;
    } finally {
      await reader.close();
    }
  });
}

interface VerifyReport extends Certificate {
  name: string;
  shape: number[];
}

/** Checks one mask tensor against its weight tensor; shape and dtype problems name the tensor. */
async function verifyTensor(model: SafetensorsReader, masks: SafetensorsReader, info: TensorInfo, p: Pattern, signal: AbortSignal): Promise<VerifyReport> {
  return inTensor(info.name, async () => {
    const weight = model.tensor(info.name);
    if (shapeText(weight.shape) !== shapeText(info.shape) || weight.shape.length !== info.shape.length) {
      throw new NmsparseError('E_SHAPE', `the mask is ${shapeText(info.shape)} but the weight is ${shapeText(weight.shape)}`);
    }
    const matrix = matrixShape(info.shape, true);
    if (!matrix) throw new NmsparseError('E_SHAPE', `the mask is ${info.shape.length}-D; masks are 2-D, or 4-D for convolutions`);
    const scores = scoresFrom({ ...matrix, data: await model.readFloats(weight) }, p.score);
    const mask = await masks.readMask(info);
    const c = await certify(scores, mask, { n: p.n, m: p.m, transposable: p.transposable, fill: p.fill, backend: p.backend, signal });
    return { name: info.name, shape: info.shape, ...c };
  });
}

/**
 * `nmsparse verify MODEL.safetensors MASKS.safetensors ...`: validity, objective and certified gap
 * of every mask in MASKS against the weights of the same name; exit 1 if any mask is invalid.
 */
export async function verifyCheckpointCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, PATTERN_FLAGS, VERIFY_USAGE);
  if (positionals.length !== 2) throw new NmsparseError('E_OPTION', `expected MODEL.safetensors and MASKS.safetensors; usage: ${VERIFY_USAGE}`);
  const [modelPath, masksPath] = positionals as [string, string];
  const pattern = patternFlags(values, VERIFY_USAGE);
  const json = values.json === true;

  return withInterrupt(async (signal) => {
    const model = await openSafetensorsFile(modelPath);
    try {
      const masks = await openSafetensorsFile(masksPath);
      try {
        const elements = masks.tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
        const progress = new ProgressReporter(masks.tensors.length, elements, progressMode(process.stderr, values.quiet === true || json), process.stderr);
        const reports: VerifyReport[] = [];
        try {
          for (const t of masks.tensors) {
            throwIfAborted(signal);
            progress.startTensor(t.name, t.shape.reduce((a, b) => a * b, 1));
            reports.push(await verifyTensor(model, masks, t, pattern, signal));
            progress.finishTensor();
          }
        } finally {
          progress.close();
        }
        const invalid = reports.filter((r) => !r.valid);
        if (json) {
          print(JSON.stringify({ model: modelPath, masks: masksPath, pattern: `${pattern.n}:${pattern.m}`, transposable: pattern.transposable, fill: pattern.fill, valid: invalid.length === 0, tensors: reports }));
        } else {
          print(`${patternName(pattern)}: ${reports.length - invalid.length} of ${reports.length} mask(s) valid`);
          printTable(
            ['name', 'shape', 'valid', 'objective', 'upper bound', 'certified gap'],
            reports.map((r) => [r.name, shapeText(r.shape), r.valid ? 'yes' : `NO (${r.violationCount})`, r.objective.toPrecision(8), r.upperBound.toPrecision(8), formatGap(r.gap)]),
            3,
          );
          for (const r of invalid) for (const v of r.violations) print(`  ${r.name}: ${JSON.stringify(v)}`);
        }
        return invalid.length === 0 ? 0 : 1;
      } finally {
        await masks.close();
      }
    } finally {
      await model.close();
    }
  });
}
