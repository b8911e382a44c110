import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { gaussianMatrix } from '../../src/core/random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCli(argv);
}

async function writeMatrix(name: string, rows: number, cols: number, seed: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, encodeNpy(gaussianMatrix(rows, cols, seed).data, [rows, cols], 'f32'));
  return path;
}

describe('nmsparse mask → verify', () => {
  for (const [n, m] of [
    [2, 4],
    [4, 8],
    [8, 16],
    [16, 32],
  ] as const) {
    it(`exact ${n}:${m} transposable masks of a Gaussian 256×256 verify with gap 0`, async () => {
      const input = await writeMatrix(`w${m}.npy`, 256, 256, m);
      const output = join(dir, `mask${m}.npy`);
      const masked = await run('mask', input, '--n', `${n}`, '--m', `${m}`, '--transposable', '-o', output, '--json');
      expect(masked.code).toBe(0);
      const report = JSON.parse(masked.out) as { gap: number; objective: number; upperBound: number };
      expect(report.gap).toBe(0);
      const mask = parseNpy(new Uint8Array(await readFile(output)));
      expect(mask).toMatchObject({ shape: [256, 256], dtype: 'u8' });
      const verified = await run('verify', input, output, '--n', `${n}`, '--m', `${m}`, '--transposable', '--json');
      expect(verified.code).toBe(0);
      const c = JSON.parse(verified.out) as { valid: boolean; gap: number; objective: number };
      expect(c.valid).toBe(true);
      expect(c.gap).toBe(0);
      expect(c.objective).toBeCloseTo(report.objective, 6);
    });
  }

  it('standard and greedy masks: human-readable output, positive gap for greedy', async () => {
    const input = await writeMatrix('w.npy', 32, 32, 3);
    const std = await run('mask', input, '--n', '2', '--m', '4', '-o', join(dir, 'std.npy'));
    expect(std.code).toBe(0);
    expect(std.out).toMatch(/2:4 standard mask of 32×32/);
    expect(std.out).toMatch(/certified gap 0%/);
    const greedy = await run('mask', input, '--n', '8', '--m', '16', '--transposable', '--method', 'greedy', '--fill', 'at-most', '--certify', '-o', join(dir, 'g.npy'), '--json');
    expect(greedy.code).toBe(0);
    expect(JSON.parse(greedy.out)).toMatchObject({ method: 'greedy', fill: 'atMost' });
    expect(JSON.parse(greedy.out).gap).toBeGreaterThan(0);
  });

  it('verify exits 1 on an invalid mask and lists the violations', async () => {
    const input = await writeMatrix('v.npy', 8, 8, 4);
    const bad = join(dir, 'bad.npy');
    await writeFile(bad, encodeNpy(new Uint8Array(64).fill(1), [8, 8], 'u8'));
    const r = await run('verify', input, bad, '--n', '2', '--m', '4', '--transposable');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/INVALID: 32 violation/);
    expect(r.out).toMatch(/tileRow/);
  });
});

describe('usage and input errors exit 2 with one line', () => {
  it('for each kind of mistake', async () => {
    const input = await writeMatrix('u.npy', 8, 8, 5);
    const existing = join(dir, 'exists.npy');
    await writeFile(existing, 'x');
    const cases: string[][] = [
      ['mask', input, '--m', '4', '-o', join(dir, 'a.npy')],
      ['mask', input, '--n', '2', '--m', '4'],
      ['mask', input, '--n', '2', '--m', '4', '--transposable', '--method', 'magic', '-o', join(dir, 'b.npy')],
      ['mask', input, '--n', '2', '--m', '3', '--transposable', '-o', join(dir, 'c.npy')],
      ['mask', input, '--n', 'two', '--m', '4', '-o', join(dir, 'd.npy')],
      ['mask', join(dir, 'missing.npy'), '--n', '2', '--m', '4', '-o', join(dir, 'e.npy')],
      ['mask', input, '--n', '2', '--m', '4', '-o', existing],
      ['mask', input, '--n', '2', '--m', '4', '-o', input, '--force'],
      ['mask', input, '--n', '2', '--m', '4', '--method', 'tsenor', '-o', join(dir, 'f.npy')],
      ['mask', input, '--n', '2', '--m', '4', '--bogus', '-o', join(dir, 'g.npy')],
      ['verify', input, '--n', '2', '--m', '4'],
      ['demo', '--size', '33'],
      ['nonsense'],
    ];
    for (const argv of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
    // Refusals leave the existing file and the input untouched.
    expect(await readFile(existing, 'utf8')).toBe('x');
    expect((await stat(input)).size).toBe(128 + 64 * 4);
  });
});

describe('nmsparse demo', () => {
  it('masks a seeded matrix with every method and pattern', async () => {
    const r = await run('demo', '--size', '64', '--json');
    expect(r.code).toBe(0);
    const { rows } = JSON.parse(r.out) as { rows: { pattern: string; method: string; gap: number }[] };
    expect(rows).toHaveLength(16);
    for (const row of rows) {
      expect(row.gap).toBeGreaterThanOrEqual(0);
      if (row.method === 'transposable exact') expect(row.gap).toBe(0);
    }
  });
});
