import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { ar1Layer } from '../support/ar1Layer.js';
import { errLines, runCli } from '../support/cli.js';

let dir: string;
let w: string;
let x: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-prune24-'));
  const layer = ar1Layer(8, 32, 64, 0.9, 5);
  w = join(dir, 'w.npy');
  x = join(dir, 'x.npy');
  await writeFile(w, encodeNpy(layer.weights.data, [8, 32], 'f32'));
  await writeFile(x, encodeNpy(layer.inputs.data, [32, 64], 'f32'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nmsparse prune24', () => {
  it('writes 2:4 weights and the mask, and compares with the baselines', async () => {
    const out = join(dir, 'pruned.npy');
    const maskOut = join(dir, 'mask.npy');
    const r = await runCli(['prune24', w, '--inputs', x, '-o', out, '--mask-out', maskOut, '--compare', '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).results).toHaveLength(9);
    const pruned = parseNpy(await readFile(out));
    const mask = parseNpy(await readFile(maskOut));
    expect(pruned.shape).toEqual([8, 32]);
    for (let g = 0; g < 256; g += 4) {
      let nonzero = 0;
      let kept = 0;
      for (let i = g; i < g + 4; i++) {
        if (pruned.data[i] !== 0) nonzero++;
        kept += mask.data[i] as number;
      }
      expect(nonzero).toBeLessThanOrEqual(2);
      expect(kept).toBe(2);
    }
  });

  it('usage errors exit 2 with one line, before any output is written', async () => {
    const out = join(dir, 'o.npy');
    const cases: [string[], RegExp][] = [
      [[w, '-o', out], /exactly one of --inputs/],
      [[w, '--inputs', x, '--hessian', x, '-o', out], /exactly one of --inputs/],
      [[w, '--inputs', x], /-o\/--output PRUNED\.npy is required/],
      [[w, '--inputs', x, '-o', out, '--method', 'sparsegpt'], /--method must be one of prox, wanda, magnitude/],
      [[w, '--inputs', x, '-o', out, '--update', 'best'], /--update must be one of exact, gradient, none/],
      [[w, '--inputs', x, '-o', w, '--force'], /also an input/],
      [[w, '--inputs', x, '-o', out, '--mask-out', out], /name the same file/],
      [[w, '--inputs', x, '-o', join(dir, 'p.safetensors')], /names a \.safetensors file/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(['prune24', ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(errLines(r), argv.join(' ')).toEqual([expect.stringMatching(message)]);
    }
    await expect(readFile(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
