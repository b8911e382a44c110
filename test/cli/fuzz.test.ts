// Random argument lists against the entry point: exit 0, 1 or 2 only, at most one line on stderr, no stack.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { gaussianMatrix } from '../../src/core/random.js';
import { encodeNpy, writeSafetensorsFile } from '../../src/io/index.js';
import { errLines, runCli } from '../support/cli.js';

let dir: string;
let outDir: string;
let paths: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-fuzz-'));
  outDir = join(dir, 'out');
  await mkdir(outDir);
  const file = (name: string) => join(dir, name);
  await writeFile(file('w.npy'), encodeNpy(gaussianMatrix(8, 8, 1).data, [8, 8], 'f32'));
  await writeFile(file('x.npy'), encodeNpy(gaussianMatrix(8, 16, 2).data, [8, 16], 'f32'));
  await writeFile(file('mask.npy'), encodeNpy(new Uint8Array(64).fill(1), [8, 8], 'u8'));
  await writeSafetensorsFile(file('model.safetensors'), [
    { name: 'layer.weight', dtype: 'F32', shape: [8, 8], data: gaussianMatrix(8, 8, 3).data },
    { name: 'bias', dtype: 'F32', shape: [8], data: new Float32Array(8) },
  ]);
  await writeSafetensorsFile(file('masks.safetensors'), [{ name: 'layer.weight', dtype: 'U8', shape: [8, 8], data: new Uint8Array(64).fill(1) }]);
  await writeFile(file('empty'), '');
  await writeFile(file('junk.npy'), '\u0093NUMPY garbage');
  paths = [
    ...['w.npy', 'x.npy', 'mask.npy', 'model.safetensors', 'masks.safetensors', 'empty', 'junk.npy', 'missing.npy'].map(file),
    dir,
    join(outDir, 'o.npy'),
    join(outDir, 'o.safetensors'),
    join(outDir, 'p.safetensors'),
    join(outDir, 'sub', 'o.npy'),
  ];
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VALUES = ['2', '4', '8', '1', '0', '-2', '3', '16', '32', '64', '0x40', '1e9', ' 4', '', '2.5', 'exact', 'at-most', 'atMost', 'tsenor', 'greedy', 'abs', 'raw', 'reference', 'wasm', 'u8', 'bool', 'prox', 'wanda', 'none', '(', '.*', 'layer', '--', '-', '-h', '\u001b[31m\nx'];

function argumentLists() {
  const flags = [...new Set(COMMANDS.flatMap((c) => c.flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])])))];
  const token = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...flags) },
    { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }).map((i) => paths[i] as string) },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    { weight: 1, arbitrary: fc.constantFrom(...flags).chain((f) => fc.constantFrom(...VALUES).map((v) => `${f}=${v}`)) },
  );
  const command = fc.constantFrom(...COMMANDS.map((c) => c.name), 'help', '--version', 'bogus');
  return fc.tuple(command, fc.array(token, { maxLength: 12 })).map(([name, rest]) => {
    // A demo without --size would mask a 1024² matrix: keep every case small.
    const small = name === 'demo' && !rest.some((t) => t.startsWith('--size')) ? ['--size', '32'] : [];
    return [name, ...rest, ...small];
  });
}

describe('random argument lists', () => {
  it('exit 0, 1 or 2; at most one stderr line, never a stack trace; no temporary file left', async () => {
    await fc.assert(
      fc.asyncProperty(argumentLists(), async (argv) => {
        await rm(outDir, { recursive: true, force: true });
        await mkdir(outDir);
        const r = await runCli(argv);
        const what = JSON.stringify(argv);
        expect([0, 1, 2], what).toContain(r.code);
        const lines = errLines(r);
        expect(lines.length, `${what}\n${r.err}`).toBeLessThanOrEqual(1);
        if (r.code === 2) expect(lines[0], what).toMatch(/^nmsparse( [a-z0-9]+)?: \S/);
        expect(r.err, what).not.toMatch(/\n\s+at |internal error/);
        expect(r.err, what).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
        for (const folder of [dir, outDir]) expect((await readdir(folder)).filter((f) => f.endsWith('.tmp')), what).toEqual([]);
      }),
      { seed: 2026, numRuns: 250 },
    );
  });
});
