// `nmsparse prune MODEL.safetensors --hessians H.safetensors` through the CLI entry, on a seeded
// synthetic checkpoint (F32, F16 and BF16 weights, a 4-D convolution, one weight without a Hessian,
// ineligible tensors): every pruned tensor is what pruneLayer gives on the same W and H, rounded to the
// tensor's dtype, and satisfies its pattern (independent validity oracle); all other tensors are copied
// byte for byte; the masks file matches; bad Hessians fail with their documented codes and no output.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneCommand } from '../../src/cli/commands/prune.js';
import { decodeFloats } from '../../src/io/floatCodec.js';
import { encodeTensorData, openSafetensorsFile, SafetensorsWriter, FLOAT_DTYPES, type FloatDtype, type SafetensorsDtype } from '../../src/io/safetensors.js';
import { pruneLayer } from '../../src/prune/pruneLayer.js';
import type { LayerMethod } from '../../src/prune/pruneOptions.js';
import { certify } from '../../src/verify/certify.js';
import { errLines, runCli, runCliCatching } from '../support/cli.js';
import { plainHessian, scaledLayer } from '../support/pruneLayers.js';
import { gaussianSource, mulberry32 } from '../support/random.js';
import { standardViolations, transposableViolations } from '../support/validityOracle.js';

interface Tensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

const floats = (name: string, dtype: FloatDtype, shape: number[], values: Float32Array): Tensor => ({ name, dtype, shape, bytes: encodeTensorData(values, dtype) });

function gaussian(count: number, seed: number): Float32Array {
  const normal = gaussianSource(mulberry32(seed));
  return Float32Array.from({ length: count }, normal);
}

/** H = XᵀX of seeded AR(1) inputs (samples × in), in f64. */
function hessianOf(cols: number, seed: number): Float64Array {
  return plainHessian(scaledLayer(1, cols, 4 * cols, 0.8, 1, seed).inputs);
}

/** The weights: [name, dtype, shape, Hessian dtype or none]. */
const WEIGHTS: [string, FloatDtype, number[], FloatDtype | undefined][] = [
  ['a.weight', 'F32', [16, 32], 'F32'],
  ['b.weight', 'F16', [32, 16], 'F64'],
  ['c.weight', 'BF16', [16, 16], 'F32'],
  ['conv.weight', 'F32', [8, 2, 2, 2], 'F32'],
  ['d.weight', 'F32', [8, 16], undefined],
];

function model(): Tensor[] {
  const weights = WEIGHTS.map(([name, dtype, shape], k) => floats(name, dtype, shape, gaussian(shape.reduce((a, b) => a * b), 10 + k)));
  return [
    weights[0] as Tensor,
    floats('a.bias', 'F32', [16], gaussian(16, 2)),
    ...weights.slice(1),
    floats('e.weight', 'F32', [6, 10], gaussian(60, 3)), // 10 columns: no multiple of 4 or 8
    { name: 'ids', dtype: 'I64', shape: [2], bytes: new Uint8Array(16).fill(7) },
  ];
}

function hessians(scale = 1): Tensor[] {
  return WEIGHTS.flatMap(([name, , shape, dtype], k) => {
    if (dtype === undefined) return [];
    const cols = shape.slice(1).reduce((a, b) => a * b);
    const h = Float32Array.from(hessianOf(cols, 20 + k), (x) => x * scale);
    return [floats(name, dtype, [cols, cols], h)];
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-ckprune-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, tensors: readonly Tensor[], metadata: Record<string, string> = {}): Promise<string> {
  const path = join(dir, name);
  const writer = await SafetensorsWriter.create(path, tensors.map(({ name: n, dtype, shape }) => ({ name: n, dtype, shape })), metadata, { force: true });
  for (const t of tensors) await writer.writeTensor(t.bytes);
  await writer.commit();
  return path;
}

async function readAll(path: string) {
  const reader = await openSafetensorsFile(path);
  try {
    const tensors = new Map<string, { dtype: string; shape: readonly number[]; bytes: Uint8Array }>();
    for (const t of reader.tensors) tensors.set(t.name, { dtype: t.dtype, shape: t.shape, bytes: await reader.readBytes(t) });
    return { tensors, metadata: reader.metadata };
  } finally {
    await reader.close();
  }
}

const matrixOf = (t: Tensor) => ({ rows: t.shape[0] as number, cols: t.shape.slice(1).reduce((a, b) => a * b), data: decodeFloats(t.bytes, FLOAT_DTYPES[t.dtype as FloatDtype]) });

/** Runs prune through the CLI entry, keeping the error it failed with (for its code). */
const prune = (argv: string[]) => runCliCatching(pruneCommand, ['prune', ...argv]);

describe('nmsparse prune MODEL.safetensors --hessians H.safetensors', () => {
  const cases: { label: string; n: number; m: number; transposable: boolean; method: LayerMethod; extra: string[] }[] = [
    { label: 'standard 2:4 sparsegpt', n: 2, m: 4, transposable: false, method: 'sparsegpt', extra: [] },
    { label: 'transposable 4:8 alps, tsenor masks', n: 4, m: 8, transposable: true, method: 'alps', extra: ['--mask-solver', 'tsenor'] },
    { label: 'standard 1:4 wanda, gradient update', n: 1, m: 4, transposable: false, method: 'wanda', extra: ['--update', 'gradient'] },
  ];
  for (const c of cases) {
    it(`${c.label}: each weight with a Hessian is pruneLayer's result in its dtype, the rest byte for byte`, async () => {
      const tensors = model();
      const input = await write('model.safetensors', tensors, { format: 'pt' });
      const hs = hessians();
      const hPath = await write('h.safetensors', hs);
      const output = join(dir, 'pruned.safetensors');
      const masksOut = join(dir, 'masks.safetensors');
      const pattern = ['--n', String(c.n), '--m', String(c.m), ...(c.transposable ? ['--transposable'] : [])];
      const r = await prune([input, '--hessians', hPath, ...pattern, '--method', c.method, ...c.extra, '--conv', '-o', output, '--masks-out', masksOut, '--json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.out);
      const pruned = await readAll(output);
      const masks = await readAll(masksOut);
      expect(pruned.metadata).toMatchObject({ format: 'pt' });
      expect(JSON.parse(pruned.metadata.nmsparse as string)).toMatchObject({ n: c.n, m: c.m, transposable: c.transposable, method: c.method });
      expect([...pruned.tensors.keys()]).toEqual(tensors.map((t) => t.name));

      const withHessian = WEIGHTS.filter(([, , , h]) => h !== undefined).map(([name]) => name);
      expect(report.tensors.map((t: { name: string }) => t.name)).toEqual(withHessian);
      expect([...masks.tensors.keys()]).toEqual(withHessian);
      for (const name of withHessian) {
        const t = tensors.find((x) => x.name === name) as Tensor;
        const h = hs.find((x) => x.name === name) as Tensor;
        const w = matrixOf(t);
        const want = await pruneLayer(w, { hessian: matrixOf(h) }, {
          n: c.n,
          m: c.m,
          transposable: c.transposable,
          method: c.method,
          ...(c.extra.includes('tsenor') ? { maskSolver: 'tsenor' as const } : {}),
          ...(c.extra.includes('gradient') ? { update: 'gradient' as const } : {}),
        });
        const got = pruned.tensors.get(name);
        expect(got?.dtype, name).toBe(t.dtype);
        expect(got?.shape, name).toEqual(t.shape);
        expect(Buffer.from(got?.bytes ?? []).equals(Buffer.from(encodeTensorData(want.weights, t.dtype))), name).toBe(true);
        const mask = masks.tensors.get(name);
        expect(mask?.dtype).toBe('U8');
        expect(mask?.shape).toEqual(t.shape);
        expect(Array.from(mask?.bytes ?? []), name).toEqual(Array.from(want.mask));
        const violations = c.transposable
          ? transposableViolations(want.mask, w.rows, w.cols, c.n, c.m, 'exact')
          : standardViolations(want.mask, w.rows, w.cols, c.n, c.m, 'exact');
        expect(violations, name).toEqual([]);
        const cert = await certify({ ...w, data: w.data.map(Math.abs) }, mask?.bytes as Uint8Array, { n: c.n, m: c.m, transposable: c.transposable });
        expect(cert.valid, name).toBe(true);
        const row = report.tensors.find((x: { name: string }) => x.name === name);
        expect(row).toMatchObject({ dtype: t.dtype, shape: t.shape, method: c.method, hessian: true, kept: want.mask.reduce((a, b) => a + b, 0) });
        expect(row.relativeLoss).toBeCloseTo(want.relativeLoss, 6);
        expect(row.gap === null).toBe(c.method !== 'wanda');
      }
      for (const t of tensors.filter((x) => !withHessian.includes(x.name))) {
        expect(Buffer.from(pruned.tensors.get(t.name)?.bytes ?? []).equals(Buffer.from(t.bytes)), t.name).toBe(true);
      }
      const reasons = Object.fromEntries(report.skipped.map((s: { name: string; reason: string }) => [s.name, s.reason]));
      expect(Object.keys(reasons).sort()).toEqual(['a.bias', 'd.weight', 'e.weight', 'ids']);
      expect(reasons['d.weight']).toMatch(/no Hessian/);
      expect(reasons['e.weight']).toMatch(/not a multiple of M/);
      expect(report).toMatchObject({ unusedHessians: [], elements: 16 * 32 + 32 * 16 + 16 * 16 + 8 * 8 });
    });
  }

  it('--without-hessian magnitude: the magnitude mask, kept weights bit for bit, loss against H = I', async () => {
    const tensors = model();
    const input = await write('model.safetensors', tensors);
    const hPath = await write('h.safetensors', hessians());
    const output = join(dir, 'p.safetensors');
    const r = await prune([input, '--hessians', hPath, '--n', '2', '--m', '4', '--without-hessian', 'magnitude', '--include', '^d\\.', '-o', output, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.tensors).toHaveLength(1);
    const d = tensors.find((t) => t.name === 'd.weight') as Tensor;
    const w = matrixOf(d);
    const got = decodeFloats((await readAll(output)).tensors.get('d.weight')?.bytes as Uint8Array, 'f32');
    // Oracle: in every group of 4 the two largest |w| survive unchanged, the others are +0.
    let dropped = 0;
    let total = 0;
    for (let g = 0; g < w.data.length; g += 4) {
      const group = Array.from(w.data.subarray(g, g + 4));
      const kept = [...group.keys()].sort((i, j) => Math.abs(group[j] as number) - Math.abs(group[i] as number)).slice(0, 2);
      group.forEach((x, i) => {
        total += x * x;
        if (kept.includes(i)) expect(Object.is(got[g + i], x)).toBe(true);
        else {
          expect(Object.is(got[g + i], 0)).toBe(true);
          dropped += x * x;
        }
      });
    }
    expect(report.tensors[0]).toMatchObject({ name: 'd.weight', method: 'magnitude', update: 'none', hessian: false, gap: 0, kept: 64 });
    expect(report.tensors[0].relativeLoss).toBeCloseTo(dropped / total, 12);
  });

  it('every method gives the same masks for H and 1000·H (summed or averaged Hessians alike)', async () => {
    const input = await write('model.safetensors', model());
    const plain = await write('h.safetensors', hessians());
    const scaled = await write('h1000.safetensors', hessians(1000));
    for (const method of ['magnitude', 'wanda', 'sparsegpt', 'alps', 'prox']) {
      const masks = [];
      for (const h of [plain, scaled]) {
        const out = join(dir, `masks-${masks.length}.safetensors`);
        const r = await prune([input, '--hessians', h, '--n', '2', '--m', '4', '--method', method, '-o', join(dir, 'p.safetensors'), '--masks-out', out, '--force', '--json']);
        expect(r.code, method).toBe(0);
        masks.push(await readFile(out));
      }
      expect(masks[0]?.equals(masks[1] as Buffer), method).toBe(true);
    }
  });

  it('sharded models and Hessians (index files) give the same bytes as single files', async () => {
    const tensors = model();
    const hs = hessians();
    const single = { model: await write('model.safetensors', tensors), h: await write('h.safetensors', hs) };
    const index = async (name: string, parts: Tensor[][]) => {
      const weightMap: Record<string, string> = {};
      for (const [k, part] of parts.entries()) {
        await write(`${name}-${k}.safetensors`, part);
        for (const t of part) weightMap[t.name] = `${name}-${k}.safetensors`;
      }
      const path = join(dir, `${name}.safetensors.index.json`);
      await writeFile(path, JSON.stringify({ metadata: {}, weight_map: weightMap }));
      return path;
    };
    const sharded = { model: await index('model', [tensors.slice(0, 3), tensors.slice(3)]), h: await index('h', [hs.slice(0, 1), hs.slice(1)]) };
    const outputs = [];
    for (const files of [single, sharded]) {
      const out = join(dir, `p${outputs.length}.safetensors`);
      const r = await prune([files.model, '--hessians', files.h, '--n', '2', '--m', '4', '-o', out, '--json']);
      expect(r.code, r.err).toBe(0);
      outputs.push((await readAll(out)).tensors);
    }
    for (const t of tensors) expect(Buffer.from(outputs[1]?.get(t.name)?.bytes ?? []).equals(Buffer.from(outputs[0]?.get(t.name)?.bytes ?? [])), t.name).toBe(true);
  });

  it('shows progress on a terminal, one redrawn line on stderr', async () => {
    const input = await write('model.safetensors', model());
    const hPath = await write('h.safetensors', hessians());
    const argv = ['prune', input, '--hessians', hPath, '--n', '2', '--m', '4', '-o', join(dir, 'p.safetensors'), '--force'];
    const shown = await runCli(argv, { isTTY: true });
    expect(shown.code).toBe(0);
    expect(shown.err).toMatch(/^\r\[\.{20}\] 0\/3 tensors/);
    expect(shown.err).toMatch(/\r\[#{20}\] 3\/3 tensors .* total {2}c\.weight\x1b\[K\r\x1b\[K$/);
    expect((await runCli([...argv, '--quiet'], { isTTY: true })).err).toBe('');
  });

  it('prints a table with the skipped tensors, and Hessians that name no tensor', async () => {
    const input = await write('model.safetensors', model());
    const hPath = await write('h.safetensors', [...hessians(), floats('a', 'F32', [2, 2], new Float32Array(4))]);
    const r = await runCli(['prune', input, '--hessians', hPath, '--n', '2', '--m', '4', '--method', 'magnitude', '-o', join(dir, 'p.safetensors')]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^2:4 magnitude of 3 tensor\(s\) → .*p\.safetensors$/);
    expect(lines[1]).toMatch(/name +dtype +shape +method +update +relative loss +certified gap +seconds/);
    expect(r.out).toMatch(/a\.weight +F32 +16×32 +magnitude +exact +\d\.\d{3}e-\d+ +0% +\d+\.\d\d/);
    expect(r.out).toMatch(/conv\.weight +F32 +8×2×2×2 +4-D \(a convolution weight: add --conv\)/);
    expect(r.out).toMatch(/d\.weight .* no Hessian/);
    expect(r.out).toMatch(/1 Hessian\(s\) of .*h\.safetensors name no tensor of the model: a\n/);
  });
});

describe('bad Hessians and outputs', () => {
  async function setup(hs: Tensor[]) {
    const input = await write('model.safetensors', model());
    const hPath = await write('h.safetensors', hs);
    return { input, hPath, output: join(dir, 'p.safetensors'), masksOut: join(dir, 'm.safetensors') };
  }

  /** Runs a failing prune: exit 2, one line, the code, and neither output nor a temporary file left. */
  async function fails(argv: string[], code: string, message: RegExp): Promise<void> {
    const before = await readdir(dir);
    const r = await prune(argv);
    expect(r.code, r.err).toBe(2);
    expect(errLines(r)).toEqual([expect.stringMatching(message)]);
    expect(r.error?.code).toBe(code);
    expect((await readdir(dir)).sort()).toEqual(before.sort());
  }

  const replace = (hs: Tensor[], name: string, t: Tensor) => hs.map((h) => (h.name === name ? t : h));

  it('a Hessian of the wrong shape or dtype is refused before any work', async () => {
    const hs = hessians();
    const wrongShape = await setup(replace(hs, 'b.weight', floats('b.weight', 'F32', [32, 32], new Float32Array(1024))));
    await fails([wrongShape.input, '--hessians', wrongShape.hPath, '--n', '2', '--m', '4', '-o', wrongShape.output], 'E_SHAPE', /"b\.weight" .* has shape \[32, 32\], but the weight is 32×16 .* must be 16×16/);
    const half = await setup(replace(hs, 'c.weight', floats('c.weight', 'F16', [16, 16], new Float32Array(256))));
    await fails([half.input, '--hessians', half.hPath, '--n', '2', '--m', '4', '-o', half.output], 'E_DTYPE', /"c\.weight" .* is F16; Hessians must be F32 or F64/);
  });

  it('a NaN in a later Hessian fails the run midway and leaves no output', async () => {
    const hs = hessians();
    const bad = Float32Array.from(decodeFloats((hs[2] as Tensor).bytes, 'f32'));
    bad[17] = NaN;
    const s = await setup(replace(hs, 'c.weight', floats('c.weight', 'F32', [16, 16], bad)));
    await fails([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '-o', s.output, '--masks-out', s.masksOut], 'E_NONFINITE', /tensor "c\.weight": hessian\[1, 1\] is NaN/);
  });

  it('a damped Hessian that is still not positive definite is E_SINGULAR', async () => {
    const h = new Float32Array(256);
    for (let i = 0; i < 16; i++) h[i * 16 + i] = 1;
    h[1] = h[16] = 2; // eigenvalue −1 on the first two inputs: no dampening of 1% fixes that
    const s = await setup(replace(hessians(), 'c.weight', floats('c.weight', 'F32', [16, 16], h)));
    await fails([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '--method', 'sparsegpt', '-o', s.output], 'E_SINGULAR', /tensor "c\.weight": .*not positive definite.*raise the dampening/);
  });

  it('no Hessian for any weight (and no --without-hessian magnitude) is an error naming the rule', async () => {
    const renamed = hessians().map((h) => ({ ...h, name: h.name.replace(/\.weight$/, '') }));
    const s = await setup(renamed);
    await fails([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '-o', s.output], 'E_SHAPE', /none of the 4 prunable tensor\(s\) .* it holds "a", "b", "c", … \(Hessians are stored under the weight's name: "a\.weight"\).*--without-hessian magnitude/);
  });

  it('usage errors exit 2 with one line before any output', async () => {
    const s = await setup(hessians());
    await fails([s.input, '--n', '2', '--m', '4', '-o', s.output], 'E_OPTION', /a checkpoint needs --hessians H\.safetensors/);
    await fails([s.input, '--hessian', s.hPath, '--n', '2', '--m', '4', '-o', s.output], 'E_OPTION', /--hessian applies to \.npy inputs, not \.safetensors/);
    await fails([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '-o', join(dir, 'p.npy')], 'E_OPTION', /-o .*p\.npy names a \.npy file/);
    await fails([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '-o', s.output, '--masks-out', s.output], 'E_OPTION', /--masks-out and -o name the same file/);
    await fails([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '-o', s.output, '--max-shard-size', '1MB'], 'E_OPTION', /--max-shard-size applies only when -o or --masks-out names a \.safetensors\.index\.json/);
    await fails([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '-o', s.hPath, '--force'], 'E_IO', /h\.safetensors/);
    const npy = join(dir, 'h.npy');
    await writeFile(npy, Buffer.from('\x93NUMPY\x01\x00\x76\x00' + "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }".padEnd(117) + '\n' + '\0\0\0\0', 'latin1'));
    await fails([s.input, '--hessians', npy, '--n', '2', '--m', '4', '-o', s.output], 'E_OPTION', /--hessians takes a safetensors file/);
  });

  it('an existing output is kept without --force and replaced with it', async () => {
    const s = await setup(hessians());
    await writeFile(s.output, 'keep me');
    await fails([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '-o', s.output], 'E_IO', /exists/);
    expect(await readFile(s.output, 'utf8')).toBe('keep me');
    const r = await prune([s.input, '--hessians', s.hPath, '--n', '2', '--m', '4', '-o', s.output, '--force', '--quiet']);
    expect(r.code).toBe(0);
    expect((await readAll(s.output)).tensors.size).toBe(model().length);
  });
});
