import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { errLines, runCli } from '../support/cli.js';
import { formatDuration, formatRate, ProgressReporter, progressMode } from '../../src/cli/progress.js';
import {
  DTYPE_SIZE,
  encodeTensorData,
  openSafetensorsFile,
  SafetensorsWriter,
  writeSafetensorsFile,
  type TensorData,
} from '../../src/io/safetensors.js';
import { transposableMask } from '../../src/masks.js';
import { scoresFrom } from '../../src/scores.js';

let dir: string;
let stdout: string[];

// A fresh directory per test, so that "no output left behind" can be checked by listing it.
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-ckpt-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

function captureStdout(): void {
  stdout = [];
}

/** Runs `nmsparse <command> ...argv` in-process; stdout is collected in `stdout`, a failure's stderr line is thrown. */
async function cli(command: string, argv: string[]): Promise<number> {
  const r = await runCli([command, ...argv]);
  stdout.push(r.out);
  if (r.code === 2) throw new CliFailure(errLines(r));
  return r.code;
}
const maskCheckpointCommand = (argv: string[]) => cli('mask', argv);
const verifyCheckpointCommand = (argv: string[]) => cli('verify', argv);
const inspectCommand = (argv: string[]) => cli('inspect', argv);

/** Exit 2: the one stderr line as `message`. */
class CliFailure extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/** Seeded values in (-2, 2), distinct enough that masks are unique. */
function values(count: number, seed: number): Float32Array {
  const [xs] = fc.sample(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: count, maxLength: count }), { seed, numRuns: 1 });
  return new Float32Array(xs as number[]);
}

const model: TensorData[] = [
  { name: 'layer.0.weight', dtype: 'F16', shape: [16, 32], data: values(512, 1) },
  { name: 'layer.0.bias', dtype: 'F32', shape: [16], data: values(16, 2) },
  { name: 'layer.1.weight', dtype: 'BF16', shape: [32, 16], data: values(512, 3) },
  { name: 'conv.weight', dtype: 'F32', shape: [8, 2, 2, 2], data: values(64, 4) },
  { name: 'odd.weight', dtype: 'F32', shape: [6, 10], data: values(60, 5) },
  { name: 'head.weight', dtype: 'F64', shape: [8, 8], data: values(64, 6) },
];

async function writeModel(name: string, tensors = model): Promise<string> {
  const path = join(dir, name);
  // One integer tensor too, written raw: real checkpoints carry position ids and the like.
  const writer = await SafetensorsWriter.create(
    path,
    [...tensors.map(({ name: n, dtype, shape }) => ({ name: n, dtype, shape })), { name: 'ids', dtype: 'I64', shape: [2] }],
    { format: 'pt' },
    { force: true },
  );
  for (const t of tensors) await writer.writeTensor(encodeTensorData(t.data, t.dtype));
  await writer.writeTensor(new Uint8Array(16));
  await writer.commit();
  return path;
}

async function listDir(): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('nmsparse mask MODEL.safetensors', () => {
  it('masks every eligible tensor, writes pruned weights in their dtype, and verify confirms gap 0', async () => {
    const input = await writeModel('model.safetensors');
    const masksPath = join(dir, 'masks.safetensors');
    const prunedPath = join(dir, 'pruned.safetensors');
    captureStdout();
    const code = await maskCheckpointCommand([input, '--n', '2', '--m', '4', '--transposable', '--conv', '-o', masksPath, '--apply', prunedPath, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout.join(''));
    expect(report.tensors.map((t: { name: string }) => t.name)).toEqual(['layer.0.weight', 'layer.1.weight', 'conv.weight', 'head.weight']);
    expect(Object.fromEntries(report.skipped.map((s: { name: string; reason: string }) => [s.name, s.reason]))).toEqual({
      'layer.0.bias': '1-D, not a matrix',
      'odd.weight': '10 columns is not a multiple of M = 4',
      ids: 'dtype I64 is not a float type',
    });
    for (const t of report.tensors) expect(t.gap).toBeLessThan(1e-9);

    const source = await openSafetensorsFile(input);
    const masks = await openSafetensorsFile(masksPath);
    const pruned = await openSafetensorsFile(prunedPath);
    expect(masks.metadata.format).toBe('pt');
    expect(JSON.parse(masks.metadata.nmsparse as string)).toMatchObject({ n: 2, m: 4, transposable: true, method: 'exact' });
    expect(pruned.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(source.tensors.map((t) => [t.name, t.dtype, t.shape]));
    for (const t of source.tensors) {
      const raw = await source.readBytes(t);
      const out = await pruned.readBytes(pruned.tensor(t.name));
      if (!report.tensors.some((r: { name: string }) => r.name === t.name)) {
        expect(out).toEqual(raw);
        continue;
      }
      const maskInfo = masks.tensor(t.name);
      expect([maskInfo.dtype, maskInfo.shape]).toEqual(['U8', t.shape]);
      const mask = await masks.readMask(maskInfo);
      // The same mask as the public API gives on the decoded weights.
      const rows = t.shape[0] as number;
      const weights = await source.readFloats(t);
      const expected = await transposableMask(scoresFrom({ rows, cols: weights.length / rows, data: weights }), { n: 2, m: 4 });
      expect(mask).toEqual(expected.mask);
      const size = DTYPE_SIZE[t.dtype];
      for (let i = 0; i < mask.length; i++) {
        const kept = raw.subarray(i * size, (i + 1) * size);
        expect(Array.from(out.subarray(i * size, (i + 1) * size))).toEqual(mask[i] ? Array.from(kept) : new Array(size).fill(0));
      }
    }
    await Promise.all([source.close(), masks.close(), pruned.close()]);

    captureStdout();
    expect(await verifyCheckpointCommand([input, masksPath, '--n', '2', '--m', '4', '--transposable', '--json'])).toBe(0);
    const verified = JSON.parse(stdout.join(''));
    expect(verified.valid).toBe(true);
    expect(verified.tensors).toHaveLength(4);
    for (const t of verified.tensors) expect(t.gap).toBeLessThan(1e-9);
  });

  it('standard masks with --include, tsenor with --certify, BOOL masks, and the text report', async () => {
    const input = await writeModel('model2.safetensors');
    const out = join(dir, 'std.safetensors');
    captureStdout();
    expect(await maskCheckpointCommand([input, '--n', '2', '--m', '4', '--include', 'layer\\.', '--mask-dtype', 'bool', '-o', out, '--quiet'])).toBe(0);
    const text = stdout.join('');
    expect(text).toMatch(/2:4 standard masks for 2 tensor\(s\)/);
    expect(text).toMatch(/not matched by --include/);
    const masks = await openSafetensorsFile(out);
    expect(masks.tensors.map((t) => [t.name, t.dtype])).toEqual([
      ['layer.0.weight', 'BOOL'],
      ['layer.1.weight', 'BOOL'],
    ]);
    await masks.close();
    expect(await verifyCheckpointCommand([input, out, '--n', '2', '--m', '4', '--include', 'layer\\.', '--quiet'])).toBe(0);
    // Without the same --include, head.weight is a tensor the pattern applies to and has no mask.
    captureStdout();
    expect(await verifyCheckpointCommand([input, out, '--n', '2', '--m', '4', '--quiet'])).toBe(1);
    expect(stdout.join('')).toMatch(/1 tensor\(s\) the pattern applies to have no mask[^\n]*\n  head\.weight\n/);
    expect(await verifyCheckpointCommand([input, out, '--n', '2', '--m', '4', '--allow-missing', '--quiet'])).toBe(0);
    // The same standard masks are not transposable: verify says so with exit 1.
    expect(await verifyCheckpointCommand([input, out, '--n', '2', '--m', '4', '--include', 'layer\\.', '--transposable', '--quiet'])).toBe(1);

    const ts = join(dir, 'tsenor.safetensors');
    captureStdout();
    expect(await maskCheckpointCommand([input, '--n', '2', '--m', '4', '--transposable', '--method', 'tsenor', '--certify', '--exclude', 'conv', '-o', ts, '--json'])).toBe(0);
    for (const t of JSON.parse(stdout.join('')).tensors) expect(t.gap).toBeGreaterThanOrEqual(0);
    captureStdout();
    expect(await verifyCheckpointCommand([input, ts, '--n', '2', '--m', '4', '--transposable', '--quiet'])).toBe(0);
    await rm(out);
    await rm(ts);
    await rm(input);
  });

  it('verify reports a corrupted mask as invalid (exit 1) and names it', async () => {
    const input = await writeModel('model3.safetensors', [model[0] as TensorData]);
    const out = join(dir, 'm3.safetensors');
    captureStdout();
    await maskCheckpointCommand([input, '--n', '2', '--m', '4', '--transposable', '-o', out, '--quiet']);
    const masks = await openSafetensorsFile(out);
    const mask = (await masks.readMask(masks.tensor('layer.0.weight'))) as Uint8Array;
    await masks.close();
    mask[5] = mask[5] ? 0 : 1;
    await writeSafetensorsFile(out, [{ name: 'layer.0.weight', dtype: 'U8', shape: [16, 32], data: mask }], { force: true });
    captureStdout();
    expect(await verifyCheckpointCommand([input, out, '--n', '2', '--m', '4', '--transposable', '--quiet'])).toBe(1);
    expect(stdout.join('')).toMatch(/0 of 1 mask\(s\) valid[\s\S]*layer\.0\.weight[\s\S]*NO/);
    await writeSafetensorsFile(out, [{ name: 'missing', dtype: 'U8', shape: [16, 32], data: mask }], { force: true });
    await expect(verifyCheckpointCommand([input, out, '--n', '2', '--m', '4', '--quiet'])).rejects.toMatchObject({
      message: expect.stringMatching(/^nmsparse verify: tensor "missing": .*no tensor "missing"/),
    });
    await rm(out);
    await rm(input);
  });
});

describe('nothing lost', () => {
  it('refuses to overwrite without --force, and never writes over its input', async () => {
    const input = await writeModel('model4.safetensors');
    const out = join(dir, 'exists.safetensors');
    await writeFile(out, 'precious');
    captureStdout();
    const args = [input, '--n', '2', '--m', '4', '--quiet'];
    await expect(maskCheckpointCommand([...args, '-o', out])).rejects.toMatchObject({ message: expect.stringMatching(/--force/) });
    expect(await readFile(out, 'utf8')).toBe('precious');
    await expect(maskCheckpointCommand([...args, '-o', input, '--force'])).rejects.toMatchObject({ message: expect.stringMatching(/also an input/) });
    await expect(maskCheckpointCommand([...args, '-o', join(dir, 'a.safetensors'), '--apply', input, '--force'])).rejects.toMatchObject({ message: expect.stringMatching(/also an input/) });
    expect(await maskCheckpointCommand([...args, '-o', out, '--force'])).toBe(0);
    const written = await openSafetensorsFile(out);
    expect(written.tensors.map((t) => t.name)).toEqual(['layer.0.weight', 'layer.1.weight', 'head.weight']);
    await written.close();
    await rm(out);
    await rm(input);
    expect(await listDir()).toEqual([]);
  });

  it('a tensor with NaN fails with the tensor named and leaves no output', async () => {
    const bad = new Float32Array(64);
    bad[9] = NaN;
    const input = await writeModel('nan.safetensors', [model[0] as TensorData, { name: 'bad.weight', dtype: 'F32', shape: [8, 8], data: bad }]);
    const out = join(dir, 'nan-masks.safetensors');
    const pruned = join(dir, 'nan-pruned.safetensors');
    await expect(maskCheckpointCommand([input, '--n', '2', '--m', '4', '-o', out, '--apply', pruned, '--quiet'])).rejects.toMatchObject({
      message: expect.stringMatching(/^nmsparse mask: tensor "bad\.weight": .*NaN/),
    });
    await rm(input);
    expect(await listDir()).toEqual([]);
  });

  it('Ctrl-C stops cleanly: exit 130 and no output', async () => {
    const input = await writeModel('int.safetensors');
    const out = join(dir, 'int-masks.safetensors');
    const lines: string[] = [];
    const code = await run(['mask', input, '--n', '2', '--m', '4', '--transposable', '-o', out, '--apply', join(dir, 'int-pruned.safetensors')], {
      stdout: { write: () => true },
      // The first progress output means the first tensor has started: interrupt the run there.
      stderr: { isTTY: true, write: (s: string) => (lines.length === 0 && process.emit('SIGINT'), lines.push(s), true) },
    });
    expect(code).toBe(130);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toBe('nmsparse: interrupted; no output was written (SIGINT)\n');
    expect(process.listenerCount('SIGINT')).toBe(0);
    await rm(input);
    expect(await listDir()).toEqual([]);
  });

  it('a damaged model is a clean format error and writes nothing', async () => {
    const input = await writeModel('damaged.safetensors');
    const bytes = await readFile(input);
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), fc.boolean(), async (at, value, truncate) => {
        const damaged = truncate ? bytes.subarray(0, at) : Uint8Array.from(bytes, (b, i) => (i === at ? value : b));
        await writeFile(input, damaged);
        captureStdout();
        try {
          await maskCheckpointCommand([input, '--n', '2', '--m', '4', '-o', join(dir, 'd.safetensors'), '--quiet', '--force']);
        } catch (err) {
          expect(err).toBeInstanceOf(CliFailure);
          expect((err as CliFailure).lines).toHaveLength(1);
        }
        await rm(join(dir, 'd.safetensors'), { force: true });
        expect(await listDir()).toEqual(['damaged.safetensors']);
      }),
      { seed: 42, numRuns: 150 },
    );
    await rm(input);
  });

  it('usage errors are E_OPTION', async () => {
    const input = join(dir, 'none.safetensors');
    const cases = [
      [input, '--n', '2', '--m', '4'],
      [input, '--n', '2', '--m', '4', '-o', 'x', '--method', 'exact'],
      [input, '--n', '4', '--m', '4', '-o', 'x'],
      [input, '--n', '2', '--m', '4', '-o', 'x', '--include', '('],
      [input, '--n', '2', '--m', '4', '-o', 'x', '--bogus'],
      [input, '--n', '2', '--m', '4', '-o', 'x', '--apply', './x'],
    ];
    for (const argv of cases) await expect(maskCheckpointCommand(argv), argv.join(' ')).rejects.toMatchObject({ lines: [expect.stringMatching(/--help/)] });
    await expect(maskCheckpointCommand([input, '--n', '2', '--m', '4', '-o', 'x'])).rejects.toMatchObject({ message: expect.stringMatching(/cannot read .*no such file/) });
  });
});

describe('nmsparse inspect', () => {
  it('lists tensors with the patterns they fit, and eligibility for a given pattern', async () => {
    const input = await writeModel('inspect.safetensors');
    captureStdout();
    expect(await inspectCommand([input, '--json'])).toBe(0);
    const all = JSON.parse(stdout.join(''));
    expect(all.metadata).toEqual({ format: 'pt' });
    const byName = Object.fromEntries(all.tensors.map((t: { name: string }) => [t.name, t]));
    expect(byName['layer.0.weight']).toMatchObject({ dtype: 'F16', shape: [16, 32], standardM: [4, 8, 16, 32], transposableM: [4, 8, 16] });
    expect(byName['ids']).toMatchObject({ standardM: [], reason: 'dtype I64 is not a float type' });
    expect(byName['conv.weight']).toMatchObject({ standardM: [], reason: '4-D (a convolution weight: add --conv)' });

    captureStdout();
    expect(await inspectCommand([input, '--n', '8', '--m', '16', '--transposable', '--conv'])).toBe(0);
    const text = stdout.join('');
    expect(text).toMatch(/layer\.0\.weight\s+F16\s+16×32\s+masked/);
    expect(text).toMatch(/layer\.1\.weight\s+BF16\s+32×16\s+masked/);
    expect(text).toMatch(/conv\.weight.*skipped: 8 columns is not a multiple of M = 16/);
    expect(text).toMatch(/2 of 7 tensor\(s\) would get a 8:16 transposable mask/);
    await rm(input);
  });
});

describe('progress', () => {
  function fakeRun(isTTY: boolean, quiet = false) {
    const written: string[] = [];
    let t = 0;
    const sink = { write: (s: string) => written.push(s), isTTY, columns: 200 };
    const p = new ProgressReporter(2, 3000, progressMode(sink, quiet), sink, () => t);
    return { p, written, tick: (ms: number) => (t += ms) };
  }

  it('nothing off a terminal or with --quiet: logs and pipes get no progress lines', () => {
    for (const { p, written } of [fakeRun(false), fakeRun(true, true)]) {
      p.startTensor('a', 1000);
      p.advance(0.5);
      p.finishTensor();
      p.close();
      expect(written).toEqual([]);
    }
  });

  it('a bar redrawn in place on a terminal, at most every 100 ms, cleared at the end', () => {
    const { p, written, tick } = fakeRun(true);
    p.startTensor('a', 1000);
    tick(1000);
    p.advance(0.3);
    p.advance(0.6); // within 100 ms of the last draw: skipped
    tick(1000);
    p.advance(0.9);
    expect(written).toHaveLength(3);
    expect(written[2]).toBe('\r[######..............] 0/2 tensors  450 elem/s  ETA 5s  a\x1b[K');
    p.close();
    expect(written.at(-1)).toBe('\r\x1b[K');
  });

  it('escapes tensor names in the bar', () => {
    const { p, written } = fakeRun(true);
    p.startTensor('evil\x1b[2J\nname', 10);
    expect(written[0]).toContain('evil\\x1b[2J\\nname');
    expect(written[0]?.slice(1, -3)).not.toMatch(/[\x00-\x1f]/);
  });

  it('formats durations and rates', () => {
    expect([formatDuration(5.4), formatDuration(65), formatDuration(3725), formatDuration(Infinity)]).toEqual(['5s', '1m05s', '1h02m', '?']);
    expect([formatRate(12), formatRate(1500), formatRate(2.5e6), formatRate(3e9), formatRate(0)]).toEqual(['12', '1.5 k', '2.5 M', '3.0 G', '–']);
  });
});
