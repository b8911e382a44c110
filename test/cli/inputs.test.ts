// The same flags for .npy and .safetensors inputs; the input kind from magic bytes; output names.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { gaussianMatrix } from '../../src/core/random.js';
import { transposableMask } from '../../src/index.js';
import { encodeNpy, openSafetensorsFile, parseNpy, writeSafetensorsFile } from '../../src/io/index.js';
import { errLines, runCli } from '../support/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-inputs-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const W = gaussianMatrix(32, 32, 7);

/** The same 32×32 matrix as a .npy file and as the only tensor of a checkpoint, under the given names. */
async function writeInputs(npyName = 'w.npy', stName = 'model.safetensors'): Promise<{ npy: string; st: string }> {
  const npy = join(dir, npyName);
  const st = join(dir, stName);
  await writeFile(npy, encodeNpy(W.data, [32, 32], 'f32'));
  await writeSafetensorsFile(st, [{ name: 'w', dtype: 'F32', shape: [32, 32], data: W.data }]);
  return { npy, st };
}

/** The report of a mask run as JSON: for a checkpoint, its one tensor's entry merged into the summary. */
function report(out: string): Record<string, unknown> {
  const r = JSON.parse(out) as Record<string, unknown> & { tensors?: Record<string, unknown>[] };
  return r.tensors ? { ...r, ...r.tensors[0] } : r;
}

describe('the same flags for .npy and .safetensors', () => {
  it('--certify, --json and TSENOR options mean the same for both, and give the API\'s mask', async () => {
    const { npy, st } = await writeInputs();
    const tsenor = ['--transposable', '--method', 'tsenor', '--iterations', '7', '--stages', '2', '--tau', '40', '--local-search-steps', '0'];
    const expected = await transposableMask({ ...W, data: W.data.map(Math.abs) }, {
      n: 2,
      m: 8,
      method: 'tsenor',
      tsenor: { iterations: 7, stages: 2, tau: 40, localSearchSteps: 0 },
    });
    for (const [input, ext] of [
      [npy, 'npy'],
      [st, 'safetensors'],
    ] as const) {
      const plain = await runCli(['mask', input, '--n', '2', '--m', '8', ...tsenor, '-o', join(dir, `a.${ext}`), '--json']);
      expect(plain.code, ext).toBe(0);
      expect(report(plain.out)).not.toHaveProperty('gap');
      expect(report(plain.out)).toMatchObject({ method: 'tsenor', tsenor: { iterations: 7, stages: 2, tau: 40, localSearchSteps: 0 }, objective: expected.objective });
      const certified = await runCli(['mask', input, '--n', '2', '--m', '8', ...tsenor, '--certify', '-o', join(dir, `b.${ext}`), '--json']);
      expect(certified.code).toBe(0);
      expect(report(certified.out).gap).toBeGreaterThanOrEqual(0);
      const mask =
        ext === 'npy'
          ? parseNpy(new Uint8Array(await readFile(join(dir, 'b.npy')))).data
          : await openSafetensorsFile(join(dir, 'b.safetensors')).then(async (r) => {
              const bytes = await r.readMask(r.tensor('w'));
              await r.close();
              return bytes;
            });
      expect(Array.from(mask)).toEqual(Array.from(expected.mask));
    }
  });

  it('progress on a terminal for both kinds; none with --quiet or --json, none off a terminal', async () => {
    const { npy, st } = await writeInputs();
    for (const input of [npy, st]) {
      let k = 0;
      const go = async (extra: string[], isTTY: boolean) =>
        runCli(['mask', input, '--n', '2', '--m', '4', '-o', join(dir, `o${k++}${input.endsWith('.npy') ? '.npy' : '.safetensors'}`), ...extra], { isTTY });
      const shown = await go([], true);
      expect(shown.code).toBe(0);
      expect(shown.err).toMatch(/^\r\[[#.]{20}\] 0\/1 tensors/);
      for (const [extra, isTTY] of [[['--quiet'], true], [['--json'], true], [[], false]] as const) {
        const r = await go([...extra], isTTY);
        expect([r.code, r.err], `${input} ${extra.join(' ')} tty=${isTTY}`).toEqual([0, '']);
      }
    }
  });

  it('Ctrl-C on a .npy run: exit 130, one line, no output', async () => {
    const { npy } = await writeInputs();
    const out = join(dir, 'int.npy');
    const lines: string[] = [];
    const code = await run(['mask', npy, '--n', '2', '--m', '4', '--transposable', '-o', out], {
      stdout: { write: () => true },
      // The first progress output interrupts the run; the interrupt line comes last.
      stderr: { isTTY: true, write: (s: string) => (lines.length === 0 && process.emit('SIGINT'), lines.push(s), true) },
    });
    expect(code).toBe(130);
    expect(lines.at(-1)).toBe('nmsparse: interrupted; no output was written (SIGINT)\n');
    expect(process.listenerCount('SIGINT')).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['model.safetensors', 'w.npy']);
  });

  it('checkpoint-only flags are refused for a .npy input, by name', async () => {
    const { npy } = await writeInputs();
    for (const flag of [['--include', 'x'], ['--exclude', 'x'], ['--conv'], ['--mask-dtype', 'bool'], ['--apply', join(dir, 'p.npy')]]) {
      const r = await runCli(['mask', npy, '--n', '2', '--m', '4', '-o', join(dir, 'o.npy'), ...flag]);
      expect([r.code, errLines(r)], flag[0]).toEqual([2, [expect.stringMatching(new RegExp(`${flag[0]} applies to \\.safetensors inputs, not \\.npy`))]]);
    }
    const r = await runCli(['verify', npy, npy, '--n', '2', '--m', '4', '--allow-missing']);
    expect(errLines(r)).toEqual([expect.stringMatching(/--allow-missing applies to \.safetensors inputs, not \.npy/)]);
  });
});

describe('input kind from magic bytes, output kind from the name', () => {
  it('a .npy named .bin and a checkpoint named .SAFETENSORS (or even .npy) are read as what they are', async () => {
    const { npy, st } = await writeInputs('weights.bin', 'MODEL.SAFETENSORS');
    const a = await runCli(['mask', npy, '--n', '2', '--m', '4', '-o', join(dir, 'a.npy'), '--json']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out)).toMatchObject({ shape: [32, 32] });
    const b = await runCli(['mask', st, '--n', '2', '--m', '4', '-o', join(dir, 'b.safetensors'), '--json']);
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out).tensors).toHaveLength(1);
    const disguised = join(dir, 'model.npy');
    await writeFile(disguised, await readFile(st));
    const c = await runCli(['inspect', disguised, '--json']);
    expect(c.code).toBe(0);
    const junk = join(dir, 'junk.npy');
    await writeFile(junk, 'hello world');
    const d = await runCli(['mask', junk, '--n', '2', '--m', '4', '-o', join(dir, 'd.npy')]);
    expect([d.code, errLines(d)]).toEqual([2, [expect.stringMatching(/junk\.npy is neither a \.npy file .* nor a safetensors file/)]]);
  });

  it('an output name of the other format is refused before any work, nothing written', async () => {
    const { npy, st } = await writeInputs();
    const cases = [
      [npy, '-o', join(dir, 'y.safetensors'), /-o .*y\.safetensors names a \.safetensors file, but this writes \.npy/],
      [npy, '-o', join(dir, 'Y.SAFETENSORS'), /names a \.safetensors file/],
      [st, '-o', join(dir, 'y.npy'), /-o .*y\.npy names a \.npy file, but this writes \.safetensors/],
      [st, '-o', join(dir, 'm.safetensors'), '--apply', join(dir, 'p.NPY'), /--apply .*p\.NPY names a \.npy file/],
    ] as const;
    for (const c of cases) {
      const argv = c.slice(0, -1) as string[];
      const r = await runCli(['mask', argv[0] as string, '--n', '2', '--m', '4', ...argv.slice(1)]);
      expect([r.code, errLines(r)]).toEqual([2, [expect.stringMatching(c.at(-1) as RegExp)]]);
    }
    expect((await readdir(dir)).sort()).toEqual(['model.safetensors', 'w.npy']);
  });

  it('verify needs two files of the same kind; inspect needs a checkpoint', async () => {
    const { npy, st } = await writeInputs();
    const r = await runCli(['verify', npy, st, '--n', '2', '--m', '4']);
    expect(errLines(r)).toEqual([expect.stringMatching(/the scores are a \.npy file but the masks a \.safetensors file/)]);
    const i = await runCli(['inspect', npy]);
    expect(errLines(i)).toEqual([expect.stringMatching(/inspect reads safetensors checkpoints; .*w\.npy is a \.npy file/)]);
  });
});

describe('verify on a checkpoint counts coverage', () => {
  it('an empty masks file, or one that misses a maskable tensor, fails unless --allow-missing', async () => {
    const model = join(dir, 'model.safetensors');
    const tensors = ['a', 'b', 'c', 'd'].map((name, i) => ({ name, dtype: 'F32' as const, shape: [8, 8], data: gaussianMatrix(8, 8, i).data }));
    await writeSafetensorsFile(model, tensors);
    const empty = join(dir, 'empty.safetensors');
    await writeSafetensorsFile(empty, []);
    const args = ['--n', '2', '--m', '4', '--json'];
    const none = await runCli(['verify', model, empty, ...args]);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.out)).toMatchObject({ valid: false, missing: ['a', 'b', 'c', 'd'], tensors: [] });
    expect((await runCli(['verify', model, empty, ...args, '--allow-missing'])).code).toBe(0);

    const masks = join(dir, 'masks.safetensors');
    expect((await runCli(['mask', model, '--n', '2', '--m', '4', '--include', '^b$', '-o', masks])).code).toBe(0);
    const partial = await runCli(['verify', model, masks, '--n', '2', '--m', '4']);
    expect(partial.code).toBe(1);
    expect(partial.out).toMatch(/1 of 1 mask\(s\) valid[\s\S]*3 tensor\(s\) the pattern applies to have no mask \(add them, or pass --allow-missing\):\n  a\n  c\n  d\n/);
    expect((await runCli(['verify', model, masks, '--n', '2', '--m', '4', '--include', '^b$'])).code).toBe(0);
    expect((await runCli(['verify', model, masks, '--n', '2', '--m', '4', '--exclude', '^[acd]$'])).code).toBe(0);
    expect((await runCli(['verify', model, masks, '--n', '2', '--m', '4', '--allow-missing'])).code).toBe(0);
    const emptyText = await runCli(['verify', model, empty, '--n', '2', '--m', '4', '--include', 'none']);
    expect([emptyText.code, emptyText.out]).toEqual([1, expect.stringMatching(/empty\.safetensors holds no mask\n$/)]);
  });
});

describe('messages that suggest a command suggest one that works', () => {
  it("'no tensor can take' names an inspect command that itself runs with exit 0", async () => {
    const model = join(dir, 'odd model.safetensors');
    await writeSafetensorsFile(model, [{ name: 'w', dtype: 'F32', shape: [6, 10], data: new Float32Array(60).fill(1) }]);
    const r = await runCli(['mask', model, '--n', '2', '--m', '4', '--transposable', '--include', 'w', '-o', join(dir, 'm.safetensors')]);
    expect(r.code).toBe(2);
    const hint = /run '(nmsparse inspect .*)' to see why/.exec(r.err)?.[1];
    expect(hint).toBe(`nmsparse inspect '${model}' --m 4 --transposable --include w`);
    // The hint, split as a shell would (one quoted word, the rest plain).
    const words = ['inspect', model, '--m', '4', '--transposable', '--include', 'w'];
    const inspected = await runCli(words);
    expect(inspected.code).toBe(0);
    expect(inspected.out).toMatch(/w +F32 +6×10 +skipped: 10 columns is not a multiple of M = 4/);
  });
});

describe('untrusted text is escaped and bounded', () => {
  it('tensor names with ANSI escapes and newlines cannot reach the terminal raw', async () => {
    const model = join(dir, 'evil.safetensors');
    const evil = 'x\u001b[2J\u001b]0;pwned\u0007\nfake line\r\u009b31m';
    await writeSafetensorsFile(model, [
      { name: evil, dtype: 'F32', shape: [8, 8], data: gaussianMatrix(8, 8, 1).data },
      { name: 'y'.repeat(5000), dtype: 'F32', shape: [3], data: new Float32Array(3) },
    ]);
    const masks = join(dir, 'masks.safetensors');
    const outputs = [
      await runCli(['inspect', model]),
      await runCli(['inspect', model, '--m', '4']),
      await runCli(['mask', model, '--n', '2', '--m', '4', '-o', masks]),
      await runCli(['verify', model, masks, '--n', '2', '--m', '4', '--transposable']),
    ];
    for (const r of outputs) {
      expect(r.code).toBeLessThan(2);
      // Only line breaks between lines: no other control character anywhere.
      expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(r.out).toContain('x\\x1b[2J\\x1b]0;pwned\\x07\\nfake line\\r\\x9b31m');
      for (const line of r.out.split('\n')) expect(line.length).toBeLessThan(400);
    }
  });
});
