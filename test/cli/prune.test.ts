import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { certify } from '../../src/verify/certify.js';
import { pruneLayer } from '../../src/prune/pruneLayer.js';
import { scaledLayer } from '../support/pruneLayers.js';
import { errLines, runCli } from '../support/cli.js';

const layer = scaledLayer(16, 32, 96, 0.9, 1, 3);
let dir: string;
let w: string;
let x: string;
let xt: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-prune-'));
  w = join(dir, 'w.npy');
  x = join(dir, 'x.npy');
  xt = join(dir, 'xt.npy');
  await writeFile(w, encodeNpy(layer.weights.data, [16, 32], 'f32'));
  await writeFile(x, encodeNpy(layer.inputs.data, [96, 32], 'f32'));
  const transposed = new Float32Array(96 * 32);
  for (let s = 0; s < 96; s++) for (let j = 0; j < 32; j++) transposed[j * 96 + s] = layer.inputs.data[s * 32 + j] as number;
  await writeFile(xt, encodeNpy(transposed, [32, 96], 'f32'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nmsparse prune', () => {
  it('writes the weights and mask pruneLayer gives, in the pattern, from either input layout', async () => {
    const want = await pruneLayer(layer.weights, { inputs: layer.inputs }, { n: 4, m: 8, transposable: true, method: 'alps' });
    for (const argv of [['--inputs', x], ['--inputs', xt, '--inputs-layout', 'features-by-samples']]) {
      const out = join(dir, 'p.npy');
      const maskOut = join(dir, 'm.npy');
      const r = await runCli(['prune', w, ...argv, '--n', '4', '--m', '8', '--transposable', '--method', 'alps', '-o', out, '--mask-out', maskOut, '--json', '--force']);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      const report = JSON.parse(r.out);
      expect(report).toMatchObject({ pattern: 'transposable 4:8', method: 'alps', update: 'exact' });
      expect(report.relativeLoss).toBeCloseTo(want.relativeLoss, 6);
      const mask = parseNpy(await readFile(maskOut)).data;
      expect(Array.from(mask)).toEqual(Array.from(want.mask));
      const cert = await certify({ rows: 16, cols: 32, data: layer.weights.data.map(Math.abs) }, mask, { n: 4, m: 8, transposable: true });
      expect(cert.valid).toBe(true);
      const pruned = parseNpy(await readFile(out)).data;
      pruned.forEach((v, i) => mask[i] || expect(v).toBe(0));
    }
  });

  it('certifies the mask of magnitude and wanda for their scores (exact solver: gap 0), not the others', async () => {
    const run = async (...extra: string[]) => {
      const r = await runCli(['prune', w, '--inputs', x, '-o', join(dir, 'g.npy'), '--force', '--json', ...extra]);
      expect(r.code, extra.join(' ')).toBe(0);
      return JSON.parse(r.out).gap as number | null;
    };
    expect(await run('--n', '4', '--m', '8', '--transposable', '--method', 'wanda')).toBeCloseTo(0, 9);
    const greedy = await run('--n', '4', '--m', '8', '--transposable', '--method', 'magnitude', '--mask-solver', 'greedy');
    expect(greedy).toBeGreaterThanOrEqual(0);
    expect(greedy).toBeLessThan(0.2);
    expect(await run('--n', '2', '--m', '4', '--method', 'alps')).toBeNull();
  });

  it('prints the pattern, method, loss and time', async () => {
    const r = await runCli(['prune', w, '--inputs', x, '--n', '2', '--m', '4', '-o', join(dir, 'q.npy')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^2:4 sparsegpt \(update none\) of 16×32 → .*q\.npy\n {2}relative loss \d\.\d{4}e-\d+ {2}\d+\.\d\d s\n$/);
  });

  it('usage and input errors exit 2 with one line, before any output is written', async () => {
    const out = join(dir, 'o.npy');
    const cases: [string[], RegExp][] = [
      [[w, '--n', '2', '--m', '4', '-o', out], /exactly one of --inputs/],
      [[w, '--inputs', x, '--m', '4', '-o', out], /--n/],
      [[w, '--inputs', x, '--n', '2', '--m', '4', '-o', out, '--method', 'obs'], /--method must be one of/],
      [[w, '--inputs', x, '--n', '2', '--m', '4', '-o', out, '--mask-solver', 'tsenor'], /--transposable/],
      [[w, '--inputs', xt, '--n', '2', '--m', '4', '-o', out], /pass layout: 'features-by-samples'/],
      [[w, '--inputs', x, '--n', '4', '--m', '8', '-o', out, '--method', 'prox'], /standard 2:4 only/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(['prune', ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(errLines(r), argv.join(' ')).toEqual([expect.stringMatching(message)]);
    }
    await expect(readFile(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
