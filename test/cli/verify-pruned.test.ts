// `nmsparse verify --pruned`: a pruned checkpoint checked from its nonzeros, alone or against the dense one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gaussianMatrix } from '../../src/core/random.js';
import { decodeFloats, encodeTensorData, FLOAT_DTYPES, writeSafetensorsFile } from '../../src/io/index.js';
import { transposableMask } from '../../src/masks.js';
import { scoresFrom } from '../../src/scores.js';
import { errLines, runCli } from '../support/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-pruned-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ROWS = 8;
const COLS = 16;
const PATTERN = ['--n', '2', '--m', '4', '--transposable'];

/** A dense checkpoint, and its weights pruned by the exact transposable 2:4 mask (of the weights as stored). */
async function checkpoints(seed: number, dtype: 'F32' | 'BF16' = 'F32') {
  const x = gaussianMatrix(ROWS, COLS, seed);
  const dense = { ...x, data: decodeFloats(encodeTensorData(x.data, dtype), FLOAT_DTYPES[dtype]) };
  const { mask } = await transposableMask(scoresFrom(dense), { n: 2, m: 4 });
  const pruned = dense.data.map((w, k) => (mask[k] ? w : 0));
  const densePath = join(dir, `dense-${seed}-${dtype}.safetensors`);
  await writeSafetensorsFile(densePath, [
    { name: 'fc.weight', dtype, shape: [ROWS, COLS], data: dense.data },
    { name: 'fc.bias', dtype, shape: [ROWS], data: new Float32Array(ROWS) },
  ]);
  const write = async (name: string, data: Float32Array) => {
    const path = join(dir, `${name}-${seed}-${dtype}.safetensors`);
    await writeSafetensorsFile(path, [
      { name: 'fc.weight', dtype, shape: [ROWS, COLS], data },
      { name: 'fc.bias', dtype, shape: [ROWS], data: new Float32Array(ROWS) },
    ]);
    return path;
  };
  return { densePath, dense: dense.data, pruned, mask, write };
}

describe('nmsparse verify --pruned', () => {
  it('an exactly pruned checkpoint passes with 50% sparsity, and gap 0 against its dense weights', async () => {
    for (const dtype of ['F32', 'BF16'] as const) {
      const c = await checkpoints(1, dtype);
      const prunedPath = await c.write(`ok-${dtype}`, c.pruned);
      const r = await runCli(['verify', '--pruned', prunedPath, '--dense', c.densePath, ...PATTERN, '--json']);
      expect([r.code, r.err]).toEqual([0, '']);
      const report = JSON.parse(r.out);
      expect(report.valid).toBe(true);
      expect(report.tensors).toEqual([expect.objectContaining({ name: 'fc.weight', status: 'exact', sparsity: 0.5, violationCount: 0, dense: expect.objectContaining({ gap: 0, fill: 'exact' }) })]);
      const text = await runCli(['verify', '--pruned', prunedPath, ...PATTERN]);
      expect(text.code).toBe(0);
      expect(text.out).toMatch(/fc\.weight\s+8×16\s+50\.00%\s+yes\n/);
    }
  });

  it('a wrong tile is found and located, wherever it is', async () => {
    const c = await checkpoints(2);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: ROWS * COLS - 1 }), async (k) => {
        // Flip one weight's kept/dropped state: its tile row and tile column now keep 1 or 3.
        const bad = c.pruned.slice();
        bad[k] = c.mask[k] ? 0 : 1.5;
        const r = await runCli(['verify', '--pruned', await c.write(`bad-${k}`, bad), ...PATTERN, '--json']);
        const [tensor] = JSON.parse(r.out).tensors;
        const [row, col] = [Math.floor(k / COLS), k % COLS];
        if (c.mask[k]) {
          // A dropped kept weight reads as "at most N": it cannot be told from a kept 0.
          expect([r.code, tensor.status]).toEqual([0, 'atMost']);
          return;
        }
        expect([r.code, tensor.status]).toEqual([1, 'invalid']);
        expect(tensor.violations).toContainEqual({ kind: 'tileRow', tileRow: Math.floor(row / 4), tileCol: Math.floor(col / 4), row, count: 3, expected: 'at most 2' });
        expect(tensor.violations).toContainEqual({ kind: 'tileColumn', tileRow: Math.floor(row / 4), tileCol: Math.floor(col / 4), col, count: 3, expected: 'at most 2' });
      }),
      { seed: 1450, numRuns: 12 },
    );
  });

  it('a valid but suboptimal pattern has a positive certified gap against the dense weights', async () => {
    const c = await checkpoints(3);
    // The complement of the optimal mask in tile (0, 0) is also 2 per row and column.
    const worse = c.pruned.slice();
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) worse[i * COLS + j] = c.mask[i * COLS + j] ? 0 : (c.dense[i * COLS + j] as number);
    const r = await runCli(['verify', '--pruned', await c.write('worse', worse), '--dense', c.densePath, ...PATTERN]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/fc\.weight\s+8×16\s+50\.00%\s+yes\s+[1-9][0-9.]*%\n/);
  });

  it('usage errors: operands with --pruned, --dense without it, --allow-missing with it', async () => {
    const c = await checkpoints(4);
    const pruned = await c.write('usage', c.pruned);
    const cases: Array<[string[], RegExp]> = [
      [['--pruned', pruned, pruned, c.densePath], /--pruned checks one checkpoint alone/],
      [['--pruned', pruned, '--allow-missing'], /--allow-missing applies to a MASKS file/],
      [['--dense', c.densePath, pruned, c.densePath], /--dense applies only with --pruned/],
      [[], /expected SCORES and MASKS, or --pruned PRUNED\.safetensors/],
      [[pruned], /expected SCORES and MASKS, or no file arguments/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(['verify', ...argv, ...PATTERN]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(errLines(r)).toEqual([expect.stringMatching(message)]);
    }
  });
});
