// The checkpoint commands take a sharded checkpoint's index wherever they take a safetensors file: the
// masks of a sharded model are byte-identical to those of the same tensors in one file. Outputs named
// *.safetensors.index.json are sharded sets whose files are one output set: checked together, refused
// together, replaced together.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

describe('sharded outputs in the CLI', () => {
  const index = () => join(dir, 'model.safetensors.index.json');
  const mask = (...rest: string[]) => runCli(['mask', index(), '--n', '2', '--m', '4', '--quiet', ...rest]);

  it('an existing shard file refuses the whole set without --force, and --force replaces it', async () => {
    const out = join(dir, 'set.safetensors.index.json');
    await writeFile(join(dir, 'set-00002-of-00002.safetensors'), 'old');
    const before = await readdir(dir);
    const refused = await mask('-o', out);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/^nmsparse mask: -o .*set-00002-of-00002\.safetensors already exists; use --force/);
    expect(await readdir(dir)).toEqual(before);
    const forced = await mask('-o', out, '--force');
    expect(forced.code, forced.err).toBe(0);
    expect((await readdir(dir)).filter((n) => n.startsWith('set'))).toEqual(['set-00001-of-00002.safetensors', 'set-00002-of-00002.safetensors', 'set.safetensors.index.json']);
    expect(await readFile(join(dir, 'set-00002-of-00002.safetensors'), 'utf8')).not.toBe('old');
  });

  it("a shard file that would overwrite one of the input's shards is refused, even with --force", async () => {
    await writeSafetensorsFile(join(dir, 'm-00001-of-00002.safetensors'), [tensors[0]!]);
    await writeSafetensorsFile(join(dir, 'm-00002-of-00002.safetensors'), [tensors[1]!, tensors[2]!]);
    const weight_map = { 'a.weight': 'm-00001-of-00002.safetensors', 'b.weight': 'm-00002-of-00002.safetensors', 'c.bias': 'm-00002-of-00002.safetensors' };
    const alias = join(dir, 'alias.safetensors.index.json');
    await writeFile(alias, JSON.stringify({ weight_map }));
    const r = await runCli(['mask', alias, '--n', '2', '--m', '4', '--quiet', '-o', join(dir, 'never.safetensors'), '--apply', join(dir, 'm.safetensors.index.json'), '--force']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--apply .*m-00001-of-00002\.safetensors is also an input/);
    expect((await readdir(dir)).filter((n) => n.startsWith('never') || n.startsWith('m.'))).toEqual([]);
  });

  it('flags that do nothing in a combination are refused before any work', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['-o', join(dir, 'x.safetensors.index.json'), '--max-shard-size', '1MB'], /--max-shard-size applies to a single-file input/],
      [['-o', join(dir, 'x.safetensors'), '--max-shard-size', '1MB'], /--max-shard-size applies only when -o or --apply names a \.safetensors\.index\.json/],
      [['-o', join(dir, 'x.safetensors'), '--shard', '1/2', '--apply', join(dir, 'y.safetensors')], /--apply does not go with --shard/],
      [['-o', join(dir, 'x.safetensors.index.json'), '--shard', '1/2'], /--shard writes one partial file/],
      [['-o', join(dir, 'x.safetensors'), '--shard', '3/2'], /--shard must be i\/k with integers 1 ≤ i ≤ k ≤ 256/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await mask(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(pattern);
    }
    for (const size of ['0', '1.5GB', '5 GB', '5gb', '-1', '0x10', '99999999999TB']) {
      const r = await runCli(['mask', join(dir, 'whole.safetensors'), '--n', '2', '--m', '4', '-o', join(dir, 'x.safetensors.index.json'), '--max-shard-size', size]);
      expect(r.err, size).toMatch(/--max-shard-size must be a size such as 5GB/);
    }
    const merge = await runCli(['merge', join(dir, 'whole.safetensors'), '-o', join(dir, 'x.safetensors'), '--apply', join(dir, 'y.safetensors')]);
    expect(merge.err).toMatch(/--apply applies only with --model/);
    const npy = await runCli(['merge', '-o', join(dir, 'x.safetensors')]);
    expect(npy.err).toMatch(/expected PART \(one or more\), got none/);
  });
});
