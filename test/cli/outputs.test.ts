// Every command declares all its outputs and inputs up front: the output-path matrix through the CLI's
// entry point (in process), and the signal handler's contract. Real processes: outputs-process.test.ts.
import { readdirSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withInterrupt } from '../../src/cli/interrupt.js';
import { NmsparseError } from '../../src/core/errors.js';
import { OutputSet } from '../../src/io/outputSet.js';
import { encodeNpy } from '../../src/io/npy.js';
import { writeSafetensorsFile } from '../../src/io/safetensors.js';
import { gaussianMatrix } from '../../src/core/random.js';
import { runCli } from '../support/cli.js';
import { mountSmallTmpfs, unmount } from '../support/smallDisk.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-cli-outputs-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const at = (name: string) => join(dir, name);
const listing = () => readdirSync(dir).sort();

/** Runs the CLI in process. */
async function run(...argv: string[]): Promise<{ code: number; err: string }> {
  return runCli(argv);
}

async function expectRefused(argv: string[], message: RegExp): Promise<void> {
  const before = new Map(await Promise.all(listing().map(async (n) => [n, await readFile(at(n)).catch(() => null)] as const)));
  const { code, err } = await run(...argv);
  expect(code).toBe(2);
  expect(err).toMatch(message);
  expect(err.trimEnd().split('\n')).toHaveLength(1);
  expect(listing()).toEqual([...before.keys()]);
  for (const [name, bytes] of before) expect(await readFile(at(name)).catch(() => null)).toEqual(bytes);
}

async function writeWeights(name: string, rows = 16, cols = 16): Promise<string> {
  await writeFile(at(name), encodeNpy(gaussianMatrix(rows, cols, 3).data, [rows, cols], 'f32'));
  return at(name);
}

describe('prune24', () => {
  it('-o and --mask-out naming one file is refused before any work, even with --force', async () => {
    const w = await writeWeights('w.npy');
    const x = await writeWeights('x.npy', 16, 32);
    await writeFile(at('p.npy'), 'keep me');
    await expectRefused(['prune24', w, '--inputs', x, '-o', at('p.npy'), '--mask-out', at('p.npy'), '--force'], /^nmsparse prune24: --mask-out and -o name the same file/);
  });

  it('an existing --mask-out is found before the work (which would fail here on mismatched shapes)', async () => {
    const w = await writeWeights('w.npy');
    const x = await writeWeights('x.npy', 8, 32); // 8 rows, but W has 16 inputs
    await writeFile(at('m.npy'), 'old mask');
    await expectRefused(['prune24', w, '--inputs', x, '-o', at('p.npy'), '--mask-out', at('m.npy')], /--mask-out .*m\.npy already exists; use --force/);
  });

  it('an output hard-linked to the --inputs file is refused', async () => {
    const w = await writeWeights('w.npy');
    const x = await writeWeights('x.npy', 16, 32);
    await link(x, at('x-link.npy'));
    await expectRefused(['prune24', w, '--inputs', x, '-o', at('x-link.npy'), '--force'], /-o .*x-link\.npy is the same file as input .*x\.npy/);
  });
});

describe('mask and its .npy and .safetensors outputs', () => {
  it('the .npy path refuses an input by another name, devices, folders and missing folders', async () => {
    const w = await writeWeights('w.npy');
    await symlink(w, at('w-sym.npy'));
    const mask = ['mask', w, '--n', '2', '--m', '4', '--backend', 'reference', '--force', '-o'];
    await expectRefused([...mask, at('w-sym.npy')], /-o .*w-sym\.npy is the same file as input/);
    await expectRefused([...mask, `${dir}/./w.npy`], /also an input|same file as input/);
    await expectRefused([...mask, '/dev/null'], /-o \/dev\/null is a device; nmsparse writes regular files only, even with --force/);
    await expectRefused([...mask, `${at('newdir')}/`], /names a folder/);
    await expectRefused([...mask, at('nowhere/m.npy')], /folder .*nowhere does not exist/);
    await expectRefused([...mask, ''], /needs a file name/);
  });

  it('the checkpoint path refuses --apply onto -o or onto the model through a link', async () => {
    const model = at('model.safetensors');
    await writeSafetensorsFile(model, [{ name: 'w', dtype: 'F32', shape: [8, 8], data: gaussianMatrix(8, 8, 1).data }]);
    await symlink(model, at('model-link.safetensors'));
    const mask = ['mask', model, '--n', '2', '--m', '4', '--quiet', '--force', '-o', at('masks.safetensors')];
    await expectRefused([...mask, '--apply', at('masks.safetensors')], /--apply and -o name the same file/);
    await expectRefused([...mask, '--apply', at('model-link.safetensors')], /--apply .*model-link\.safetensors is the same file as input/);
    expect((await run(...mask, '--apply', at('pruned.safetensors'))).code).toBe(0);
    expect(listing()).toEqual(['masks.safetensors', 'model-link.safetensors', 'model.safetensors', 'pruned.safetensors']);
  });
});

describe('full disk', () => {
  it('a checkpoint run whose --apply does not fit exits 2 with one line and leaves nothing', async (context) => {
    const model = at('model.safetensors');
    await writeSafetensorsFile(model, [{ name: 'w', dtype: 'F32', shape: [256, 256], data: gaussianMatrix(256, 256, 2).data }]);
    await mkdir(at('small'));
    const why = mountSmallTmpfs(at('small'), '128k'); // the 64 KiB of masks fit, the 256 KiB of weights do not
    if (why) {
      console.log(`${why}: the full-disk case is skipped`);
      context.skip();
    }
    try {
      const outputs = ['-o', join(at('small'), 'masks.safetensors'), '--apply', join(at('small'), 'pruned.safetensors')];
      const { code, err } = await run('mask', model, '--n', '2', '--m', '4', '--backend', 'reference', '--quiet', ...outputs);
      expect(code).toBe(2);
      expect(err).toMatch(/^nmsparse mask: cannot write .*pruned\.safetensors: no space left on device \(ENOSPC\)/);
      expect(err.trimEnd().split('\n')).toHaveLength(1);
      expect(readdirSync(at('small'))).toEqual([]);
    } finally {
      unmount(at('small'));
    }
  });
});

describe('withInterrupt', () => {
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

  it('each signal aborts the work: one line, exit 128+n, handlers removed', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    for (const name of SIGNALS) {
      const code = await withInterrupt(async (signal) => {
        process.emit(name);
        expect(signal.aborted).toBe(true);
        throw new NmsparseError('E_ABORTED', 'cancelled');
      });
      expect(code).toBe(128 + constants.signals[name]);
      expect(err).toHaveBeenLastCalledWith(`nmsparse: interrupted; no output was written (${name})\n`);
      for (const s of SIGNALS) expect(process.listenerCount(s)).toBe(0);
    }
  });

  it('work that completes before noticing the signal keeps its result', async () => {
    expect(await withInterrupt(async () => (process.emit('SIGHUP'), 0))).toBe(0);
  });

  it('a second signal while the work has not stopped removes the temporary files and exits at once', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    let set: OutputSet | undefined;
    await withInterrupt(async () => {
      set = await OutputSet.create([{ path: at('a') }, { path: at('b') }]);
      expect(listing()).toHaveLength(2);
      process.emit('SIGTERM');
      process.emit('SIGINT');
      return 0;
    });
    expect(exit).toHaveBeenCalledWith(130);
    expect(listing()).toEqual([]);
    await set?.discard();
  });
});
