// Mutated .npy and .safetensors files through the CLI's entry point (issue 10, standing tests): every
// command that reads them exits 0, 1 or 2 with at most one line on stderr, never a stack trace or an
// "internal error", and leaves no file behind in the output folder but the outputs it reports.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, SafetensorsWriter } from '../../src/io/index.js';
import { absGaussianMatrix } from '../support/random.js';
import { errLines, runCli } from '../support/cli.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-files-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A valid 8×8 f32 .npy and a valid checkpoint with one maskable tensor and its U8 mask. */
async function seeds(): Promise<{ npy: Uint8Array; model: Uint8Array; masks: Uint8Array }> {
  const x = absGaussianMatrix(8, 8, 4);
  const npy = encodeNpy(x.data, [8, 8], 'f32');
  const file = async (name: string, dtype: 'F16' | 'U8', data: Float32Array | Uint8Array): Promise<Uint8Array> => {
    const path = join(dir, `seed-${name}`);
    const w = await SafetensorsWriter.create(path, [{ name: 'layer.weight', dtype, shape: [8, 8] }], { note: 'seed' }, { force: true });
    await w.writeTensor(dtype === 'U8' ? (data as Uint8Array) : new Uint8Array(new Uint16Array(64).fill(0x3c00).buffer));
    await w.commit();
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(path));
  };
  const mask = new Uint8Array(64).map((_, k) => (k % 4 < 2 ? 1 : 0));
  return { npy, model: await file('model', 'F16', x.data), masks: await file('masks', 'U8', mask) };
}

/** Byte-level mutations: overwrite, insert, delete, truncate, and header-area digit and quote edits. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const at = fc.nat({ max: Math.max(0, base.length - 1) });
  return fc.oneof(
    fc.tuple(at, fc.integer({ min: 0, max: 255 })).map(([i, b]) => Uint8Array.from(base, (x, k) => (k === i ? b : x))),
    fc.tuple(at, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, ins]) => Uint8Array.from([...base.slice(0, i), ...ins, ...base.slice(i)])),
    fc.tuple(at, fc.integer({ min: 1, max: 32 })).map(([i, n]) => Uint8Array.from([...base.slice(0, i), ...base.slice(i + n)])),
    at.map((i) => base.slice(0, i)),
    fc.tuple(fc.nat({ max: Math.min(base.length, 160) - 1 }), fc.constantFrom(...'0123456789"{}[],:eE.-x '.split(''))).map(([i, c]) =>
      Uint8Array.from(base, (x, k) => (k === i ? c.charCodeAt(0) : x)),
    ),
  );
}

/** Exit codes seen, so the test can check that the mutations reached both the success and the error paths. */
const seen = new Set<number>();

/** One CLI run on the mutated file: its exit code and stderr must be clean. */
async function expectClean(argv: string[]): Promise<void> {
  const r = await runCli(argv);
  seen.add(r.code);
  const lines = errLines(r);
  expect([0, 1, 2], `${argv.join(' ')}: ${r.err}`).toContain(r.code);
  expect(lines.length, r.err).toBeLessThanOrEqual(1);
  expect(r.err).not.toMatch(/internal error|\n\s+at |RangeError|TypeError/);
}

describe('mutated files through the CLI', () => {
  it('inspect, mask and verify exit 0, 1 or 2 with at most one clean line, and leave no temp files', async () => {
    const base = await seeds();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('npy', 'model', 'masks'), fc.context(), async (which, ctx) => {
        const bytes = fc.sample(mutated(base[which as keyof typeof base]), { seed: run, numRuns: 1 })[0] as Uint8Array;
        const case_ = join(dir, `case-${run++}`);
        await rm(case_, { recursive: true, force: true });
        const { mkdir } = await import('node:fs/promises');
        await mkdir(case_);
        const input = join(case_, which === 'npy' ? 'in.npy' : 'in.safetensors');
        await writeFile(input, bytes);
        ctx.log(`${which}, ${bytes.length} bytes`);
        if (which === 'npy') {
          await expectClean(['mask', input, '--n', '2', '--m', '4', '--transposable', '-o', join(case_, 'out.npy'), '--quiet']);
          await expectClean(['verify', input, input, '--n', '2', '--m', '4', '--quiet']);
        } else {
          await expectClean(['inspect', input, '--n', '2', '--m', '4']);
          await expectClean(['mask', input, '--n', '2', '--m', '4', '-o', join(case_, 'out.safetensors'), '--quiet']);
          await expectClean(['verify', input, input, '--n', '2', '--m', '4', '--allow-missing', '--quiet']);
        }
        const left = (await readdir(case_)).filter((f) => f.endsWith('.tmp'));
        expect(left).toEqual([]);
      }),
      { seed: 20261201, numRuns: 120 },
    );
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });
});
