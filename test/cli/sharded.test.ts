// The checkpoint commands take a sharded checkpoint's index wherever they take a safetensors file: the
// masks of a sharded model are byte-identical to those of the same tensors in one file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from '../../src/io/index.js';
import { absGaussianMatrix } from '../support/random.js';
import { runCli } from '../support/cli.js';

let dir = '';
const tensors = [
  { name: 'a.weight', dtype: 'F16' as const, shape: [16, 32], data: absGaussianMatrix(16, 32, 11).data },
  { name: 'b.weight', dtype: 'F32' as const, shape: [32, 16], data: absGaussianMatrix(32, 16, 12).data },
  { name: 'c.bias', dtype: 'F32' as const, shape: [16], data: absGaussianMatrix(1, 16, 13).data },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-sharded-cli-'));
  // The same metadata as the index carries, so that the two masks files can be compared byte for byte.
  await writeSafetensorsFile(join(dir, 'whole.safetensors'), tensors, { metadata: { total_size: '4160' } });
  await writeSafetensorsFile(join(dir, 'part-1.safetensors'), [tensors[0]!]);
  await writeSafetensorsFile(join(dir, 'part-2.safetensors'), [tensors[1]!, tensors[2]!]);
  const weight_map = { 'a.weight': 'part-1.safetensors', 'b.weight': 'part-2.safetensors', 'c.bias': 'part-2.safetensors' };
  await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 4160 }, weight_map }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sharded checkpoints in the CLI', () => {
  it('mask, verify and inspect read the index like one file', async () => {
    const index = join(dir, 'model.safetensors.index.json');
    for (const [input, out] of [
      [join(dir, 'whole.safetensors'), join(dir, 'masks-whole.safetensors')],
      [index, join(dir, 'masks-sharded.safetensors')],
    ] as const) {
      const r = await runCli(['mask', input, '--n', '8', '--m', '16', '--transposable', '-o', out, '--quiet']);
      expect(r.code, r.err).toBe(0);
    }
    expect(await readFile(join(dir, 'masks-sharded.safetensors'))).toEqual(await readFile(join(dir, 'masks-whole.safetensors')));

    const verified = await runCli(['verify', index, join(dir, 'masks-sharded.safetensors'), '--n', '8', '--m', '16', '--transposable', '--json']);
    expect(verified.code, verified.err).toBe(0);

    const inspected = await runCli(['inspect', index, '--json']);
    expect(inspected.code, inspected.err).toBe(0);
    const listed = JSON.parse(inspected.out) as { tensors: { name: string }[]; metadata: Record<string, string> };
    expect(listed.tensors.map((t) => t.name)).toEqual(['a.weight', 'b.weight', 'c.bias']);
    expect(listed.metadata).toEqual({ total_size: '4160' });
  });

  it('an index that points outside its folder is refused with one line, exit 2', async () => {
    const bad = join(dir, 'bad.index.json');
    await writeFile(bad, JSON.stringify({ weight_map: { 'a.weight': '../part-1.safetensors' } }));
    const r = await runCli(['mask', bad, '--n', '2', '--m', '4', '-o', join(dir, 'never.safetensors'), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/plain file names/);
  });
});
