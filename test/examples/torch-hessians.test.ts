// examples/torch/hessians.py as docs/pruning.md shows it: its demo writes a model and its Hessians by the
// naming rule, and `nmsparse prune` prunes every nn.Linear weight from them. Needs a python3 with PyTorch
// (Debian: apt-get install python3-torch); without one the suite reports itself skipped with the reason.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensorsFile } from '../../src/io/safetensors.js';
import { runCli } from '../support/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'examples/torch/hessians.py');

/** The first python3 that imports torch (pyenv shims may hide Debian's), or why there is none. */
function findTorchPython(): { python?: string; missing: string } {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return { python, missing: '' };
  }
  return { missing: 'no python3 with PyTorch and NumPy (Debian: apt-get install python3-torch)' };
}
const { python, missing } = findTorchPython();

describe.skipIf(missing !== '')(`examples/torch/hessians.py${missing ? ` — SKIPPED: ${missing}` : ''}`, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nmsparse-torch-'));
    const r = spawnSync(python as string, [SCRIPT, dir], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
  }, 130_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one symmetric in × in F32 Hessian per nn.Linear weight, under the weight name', async () => {
    const h = await openSafetensorsFile(join(dir, 'hessians.safetensors'));
    try {
      expect(h.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
        ['0.weight', 'F32', [64, 64]],
        ['2.weight', 'F32', [128, 128]],
        ['4.weight', 'F32', [64, 64]],
      ]);
      for (const t of h.tensors) {
        const n = t.shape[0] as number;
        const v = await h.readFloats(t);
        for (let i = 0; i < n; i++) {
          expect(v[i * n + i], `${t.name}[${i}, ${i}]`).toBeGreaterThanOrEqual(0);
          for (let j = 0; j < i; j++) expect(Math.abs(v[i * n + j] - v[j * n + i])).toBeLessThanOrEqual(1e-6 * Math.abs(v[i * n + j]) + 1e-9);
        }
      }
    } finally {
      await h.close();
    }
  });

  it('nmsparse prune prunes every weight from them and copies the biases', async () => {
    const argv = ['prune', join(dir, 'model.safetensors'), '--hessians', join(dir, 'hessians.safetensors'), '--n', '2', '--m', '4'];
    const r = await runCli([...argv, '-o', join(dir, 'pruned.safetensors'), '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.tensors.map((t: { name: string }) => t.name)).toEqual(['0.weight', '2.weight', '4.weight']);
    expect(report.skipped.map((t: { name: string }) => t.name)).toEqual(['0.bias', '2.bias', '4.bias']);
    expect(report.unusedHessians).toEqual([]);
    for (const t of report.tensors) expect(t.relativeLoss).toBeLessThan(1);
  });
});
