// `nmsparse verify MODEL MASKS` with other tools' mask names: torch.nn.utils.prune, apex ASP, --mask-name.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairMasks } from '../../src/cli/maskNames.js';
import { gaussianMatrix } from '../../src/core/random.js';
import { writeSafetensorsFile, type TensorData } from '../../src/io/index.js';
import { transposableMask } from '../../src/masks.js';
import { scoresFrom } from '../../src/scores.js';
import { errLines, runCli } from '../support/cli.js';

let dir: string;
let weights: Float32Array;
let mask: Uint8Array;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-conventions-'));
  const w = gaussianMatrix(8, 16, 7);
  weights = w.data;
  mask = (await transposableMask(scoresFrom(w), { n: 2, m: 4 })).mask;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PATTERN = ['--n', '2', '--m', '4', '--transposable'];
const weight = (name: string): TensorData => ({ name, dtype: 'F32', shape: [8, 16], data: weights });
const bias: TensorData = { name: 'fc.bias', dtype: 'F32', shape: [8], data: new Float32Array(8) };

async function file(name: string, tensors: TensorData[]): Promise<string> {
  const path = join(dir, name);
  await writeSafetensorsFile(path, tensors);
  return path;
}

async function verifyJson(...argv: string[]) {
  const r = await runCli(['verify', ...argv, ...PATTERN, '--json']);
  return { code: r.code, err: r.err, report: r.out ? JSON.parse(r.out) : undefined };
}

describe('mask names of other tools', () => {
  it('pairMasks: conventions, templates, same file or not', () => {
    const w = new Set(['a.weight_orig', 'b.weight', 'c.weight', 'c.weight_mask', 'd.weight']);
    expect(pairMasks(['a.weight_mask', 'b.__weight_mma_mask', 'd.weight'], w, { sameFile: false })).toEqual([
      { mask: 'a.weight_mask', weight: 'a.weight_orig' },
      { mask: 'b.__weight_mma_mask', weight: 'b.weight' },
      { mask: 'd.weight', weight: 'd.weight' },
    ]);
    expect(pairMasks([...w], w, { sameFile: true })).toEqual([{ mask: 'c.weight_mask', weight: 'c.weight' }]);
    expect(pairMasks(['b.weight.m', 'b.weight', 'x'], w, { sameFile: true, template: '{}.m' })).toEqual([{ mask: 'b.weight.m', weight: 'b.weight' }]);
    expect(pairMasks(['mask/d.weight', 'other'], w, { sameFile: false, template: 'mask/{}' })).toEqual([{ mask: 'mask/d.weight', weight: 'd.weight' }]);
  });

  it('torch.nn.utils.prune: weight_orig and a float weight_mask inside the model', async () => {
    const model = await file('torch.safetensors', [weight('fc.weight_orig'), { name: 'fc.weight_mask', dtype: 'F32', shape: [8, 16], data: Float32Array.from(mask) }, bias]);
    const { code, report } = await verifyJson(model, model);
    expect(code).toBe(0);
    expect(report.missing).toEqual([]);
    expect(report.tensors).toEqual([expect.objectContaining({ name: 'fc.weight_orig', mask: 'fc.weight_mask', valid: true, gap: 0 })]);
  });

  it('apex ASP: __weight_mma_mask inside the model; a wrong tile is found and located', async () => {
    const bad = mask.slice();
    const k = bad.indexOf(0, 5 * 16 + 8); // a dropped entry in row 5, tile column 2 or 3
    bad[k] = 1;
    const model = await file('apex.safetensors', [weight('fc.weight'), { name: 'fc.__weight_mma_mask', dtype: 'BOOL', shape: [8, 16], data: bad }, bias]);
    const { code, report } = await verifyJson(model, model);
    expect(code).toBe(1);
    const [t] = report.tensors;
    expect(t).toMatchObject({ name: 'fc.weight', mask: 'fc.__weight_mma_mask', valid: false });
    expect(t.violations).toContainEqual(expect.objectContaining({ kind: 'tileRow', tileRow: 1, tileCol: Math.floor((k % 16) / 4), row: 5, count: 3 }));
  });

  it('apex names in a separate masks file, and a --mask-name template', async () => {
    const model = await file('plain.safetensors', [weight('fc.weight'), bias]);
    const apex = await file('apex-masks.safetensors', [{ name: 'fc.__weight_mma_mask', dtype: 'U8', shape: [8, 16], data: mask }]);
    expect((await verifyJson(model, apex)).code).toBe(0);
    const custom = await file('custom-masks.safetensors', [{ name: 'masks/fc.weight', dtype: 'U8', shape: [8, 16], data: mask }]);
    const { code, report } = await verifyJson(model, custom, '--mask-name', 'masks/{}');
    expect(code).toBe(0);
    expect(report.tensors).toEqual([expect.objectContaining({ name: 'fc.weight', mask: 'masks/fc.weight', valid: true })]);
    // Without the template the mask has no weight of its name.
    expect((await runCli(['verify', model, custom, ...PATTERN])).code).toBe(2);
  });

  it('a model with no masks of any convention holds no mask', async () => {
    const model = await file('nomask.safetensors', [weight('fc.weight'), bias]);
    const r = await runCli(['verify', model, model, ...PATTERN]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('fc.weight');
  });

  it('usage errors: a template without {}, --mask-name with --pruned', async () => {
    const model = await file('usage.safetensors', [weight('fc.weight'), bias]);
    for (const [argv, message] of [
      [[model, model, '--mask-name', 'mask'], /--mask-name must contain \{\} exactly once/],
      [['--pruned', model, '--mask-name', '{}_m'], /--mask-name applies to a MASKS file, not to --pruned/],
    ] as Array<[string[], RegExp]>) {
      const r = await runCli(['verify', ...argv, ...PATTERN]);
      expect(r.code).toBe(2);
      expect(errLines(r)).toEqual([expect.stringMatching(message)]);
    }
  });
});
