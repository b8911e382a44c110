// A few real processes of the built CLI (dist/, as installed): exit codes, one-line errors, --quiet.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gaussianMatrix } from '../../src/core/random.js';
import { encodeNpy } from '../../src/io/index.js';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

function nmsparse(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (error, out, err) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out, err });
    });
  });
}

let dir: string;
beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'npm run build' before these tests`);
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-process-'));
  await writeFile(join(dir, 'w.npy'), encodeNpy(gaussianMatrix(16, 16, 1).data, [16, 16], 'f32'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the installed bin', () => {
  it('--version prints the package version; mask --help exits 0', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await nmsparse('--version')).toEqual({ code: 0, out: `${version}\n`, err: '' });
    const help = await nmsparse('mask', '--help');
    expect([help.code, help.err]).toEqual([0, '']);
    expect(help.out).toMatch(/^nmsparse mask: /);
  });

  it('errors are exit 2 and one line, without a stack trace', async () => {
    for (const args of [['mask', join(dir, 'w.npy'), '--n', '-2', '--m', '4', '-o', 'x.npy'], ['demo', '--size', '1e9'], ['verify', join(dir, 'nope.npy'), join(dir, 'w.npy'), '--n', '2', '--m', '4']]) {
      const r = await nmsparse(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n'), args.join(' ')).toEqual([expect.stringMatching(/^nmsparse (mask|demo|verify): /), '']);
    }
  });

  it('--quiet with --backend auto: nothing on stderr from the CLI', async () => {
    const r = await nmsparse('mask', join(dir, 'w.npy'), '--n', '2', '--m', '4', '--transposable', '--backend', 'auto', '--quiet', '-o', join(dir, 'm.npy'));
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/certified gap 0%/);
  });
});
