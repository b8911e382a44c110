// A run split with --shard i/k over separate processes and joined by `nmsparse merge` writes the same
// bytes as one run, for single-file and sharded inputs and for single-file and sharded outputs; merge
// refuses parts that do not make one run; an interrupted shard leaves nothing and can be rerun alone.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensorsFile, writeSafetensorsFile, type TensorData } from '../../src/io/index.js';
import { gaussianMatrix } from '../support/random.js';
import { builtCli } from '../support/builtCli.js';
import { runCli } from '../support/cli.js';
import { startCli } from '../support/cliProcess.js';

let bin: string;
let dir: string;

const tensor = (name: string, dtype: TensorData['dtype'], shape: number[], seed: number): TensorData => ({
  name,
  dtype,
  shape,
  data: gaussianMatrix(shape[0] as number, shape.slice(1).reduce((p, d) => p * d, 1), seed).data,
});
// Sizes that make the partition uneven, float dtypes of every width, and tensors that get no mask.
const TENSORS = [
  tensor('embed.weight', 'F32', [64, 32], 1),
  tensor('embed.bias', 'F32', [32], 2),
  tensor('norm.weight', 'F16', [16], 3),
  tensor('layer.0.weight', 'F16', [32, 32], 4),
  tensor('layer.1.weight', 'BF16', [16, 64], 5),
  tensor('layer.2.weight', 'F64', [8, 8], 6),
  tensor('layer.3.weight', 'F32', [48, 16], 7),
  tensor('head.weight', 'F32', [40, 24], 8),
];
/** Input shards: the second holds no tensor that gets a mask, so the masks' index has two shards. */
const SHARDS = [TENSORS.slice(0, 2), TENSORS.slice(2, 3), TENSORS.slice(3)];
const SETTINGS = ['--n', '4', '--m', '8', '--transposable', '--backend', 'reference', '--quiet'];
const K = 3;

let whole: string;
let index: string;

beforeAll(async () => {
  bin = builtCli();
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-shard-merge-'));
  whole = join(dir, 'model.safetensors');
  await writeSafetensorsFile(whole, TENSORS, { metadata: { format: 'pt', note: 'whole' } });
  const weightMap: Record<string, string> = {};
  for (const [j, shard] of SHARDS.entries()) {
    const file = `model-0000${j + 1}-of-00003.safetensors`;
    await writeSafetensorsFile(join(dir, file), shard, { metadata: { format: 'pt', shard: String(j + 1) } });
    for (const t of shard) weightMap[t.name] = file;
  }
  index = join(dir, 'model.safetensors.index.json');
  await writeFile(index, JSON.stringify({ metadata: { total_size: 1234 }, weight_map: weightMap }));
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fresh folder under the test folder. */
async function folder(name: string): Promise<string> {
  const path = join(dir, name);
  await rm(path, { recursive: true, force: true });
  await mkdir(path);
  return path;
}

/** Every file of a folder, by name, with its bytes. */
async function contents(path: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(path)).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(path, n))] as const)));
}

/** Shards 1..K of `input` as K separate processes at once; the parts' paths. */
async function runShards(input: string, out: string, extra: readonly string[] = []): Promise<string[]> {
  const parts = Array.from({ length: K }, (_, i) => join(out, `part-${i + 1}.safetensors`));
  const runs = parts.map((part, i) => startCli(bin, ['mask', input, ...SETTINGS, ...extra, '--shard', `${i + 1}/${K}`, '-o', part]));
  for (const r of runs) expect(await r.done).toMatchObject({ code: 0, lines: [] });
  return parts;
}

async function ok(argv: readonly string[]): Promise<void> {
  const r = await runCli(argv);
  expect(r.code, r.err).toBe(0);
}

describe('k = 3 shards on separate processes, merged, are byte-identical to one run', () => {
  const INPUTS = [
    ['a single-file input', () => whole, ['--max-shard-size', '3000']],
    ['a sharded input', () => index, []],
  ] as const;
  for (const [what, input, sizeFlags] of INPUTS) {
    it(`${what}: single-file and sharded outputs, masks and --apply`, async () => {
      const parts = await runShards(input(), await folder('parts'));
      const partFiles = await contents(join(dir, 'parts'));
      expect([...partFiles.keys()]).toEqual(['part-1.safetensors', 'part-2.safetensors', 'part-3.safetensors']);

      for (const [masks, pruned, flags] of [
        ['masks.safetensors', 'pruned.safetensors', []],
        ['masks.safetensors.index.json', 'pruned.safetensors.index.json', sizeFlags],
      ] as const) {
        const single = await folder('single');
        const merged = await folder('merged');
        await ok(['mask', input(), ...SETTINGS, ...flags, '-o', join(single, masks), '--apply', join(single, pruned)]);
        await ok(['merge', ...[...parts].reverse(), ...flags, '-o', join(merged, masks), '--apply', join(merged, pruned), '--model', input()]);
        const expected = await contents(single);
        if (masks.endsWith('.json')) expect(expected.size).toBeGreaterThan(4); // two indexes and shards of both
        expect(await contents(merged)).toEqual(expected);

        const masksOnly = await folder('masks-only');
        const report = await runCli(['merge', ...parts, ...flags, '-o', join(masksOnly, masks), '--json']);
        expect(report.code, report.err).toBe(0);
        expect(JSON.parse(report.out)).toEqual({ output: join(masksOnly, masks), parts: K, tensors: 6, files: [...expected.keys()].filter((n) => n.startsWith('masks-')).length || 1 });
        const maskFiles = [...expected].filter(([n]) => n.startsWith('masks'));
        expect(await contents(masksOnly)).toEqual(new Map(maskFiles));
      }
      expect(await contents(join(dir, 'parts'))).toEqual(partFiles); // inputs are never modified
    });
  }

  it('a sharded input mirrors its shards; shards without masks are left out of the masks', async () => {
    const out = await folder('mirror');
    await ok(['mask', index, ...SETTINGS, '-o', join(out, 'masks.safetensors.index.json'), '--apply', join(out, 'pruned.safetensors.index.json')]);
    const masksIndex = JSON.parse(await readFile(join(out, 'masks.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    expect(masksIndex.weight_map).toEqual({
      'embed.weight': 'masks-00001-of-00002.safetensors',
      'layer.0.weight': 'masks-00002-of-00002.safetensors',
      'layer.1.weight': 'masks-00002-of-00002.safetensors',
      'layer.2.weight': 'masks-00002-of-00002.safetensors',
      'layer.3.weight': 'masks-00002-of-00002.safetensors',
      'head.weight': 'masks-00002-of-00002.safetensors',
    });
    const pruned = await openSafetensorsFile(join(out, 'pruned-00002-of-00003.safetensors'));
    expect(pruned.tensors.map((t) => t.name)).toEqual(['norm.weight']);
    expect(pruned.metadata).toEqual({ format: 'pt', shard: '2', nmsparse: expect.any(String) });
    await pruned.close();
    const verified = await runCli(['verify', index, join(out, 'masks.safetensors.index.json'), '--n', '4', '--m', '8', '--transposable']);
    expect(verified.code, verified.err).toBe(0);
  });

  it('more shards than tensors: empty parts still count, and the merge is the same', async () => {
    const out = await folder('many');
    const parts = Array.from({ length: 8 }, (_, i) => join(out, `part-${i + 1}.safetensors`));
    for (const [i, part] of parts.entries()) await ok(['mask', whole, ...SETTINGS, '--shard', `${i + 1}/8`, '-o', part]);
    const empty = await openSafetensorsFile(parts[7] as string);
    expect(empty.tensors).toEqual([]);
    await empty.close();
    await ok(['mask', whole, ...SETTINGS, '-o', join(out, 'single.safetensors')]);
    await ok(['merge', ...parts, '-o', join(out, 'merged.safetensors')]);
    expect(await readFile(join(out, 'merged.safetensors'))).toEqual(await readFile(join(out, 'single.safetensors')));
  });
});

describe('merge refuses parts that are not one whole run, and writes nothing', () => {
  let parts: string[] = [];
  let out = '';
  beforeAll(async () => {
    parts = await runShards(whole, await folder('refuse'));
    out = join(dir, 'refuse', 'merged.safetensors');
  }, 120_000);

  async function refused(partsGiven: readonly string[], pattern: RegExp, extra: readonly string[] = []): Promise<void> {
    const before = await readdir(join(dir, 'refuse'));
    const r = await runCli(['merge', ...partsGiven, '-o', out, ...extra]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(pattern);
    expect(await readdir(join(dir, 'refuse'))).toEqual(before);
  }

  it('a missing shard, a shard given twice (same file or a copy)', async () => {
    const [p1, p2, p3] = parts as [string, string, string];
    await refused([p1, p3], /shard\(s\) 2 of 3 are missing/);
    await refused([p1, p2, p3, p1], /shard 1\/3 is given twice/);
    const copy = join(dir, 'refuse', 'copy-of-1.safetensors');
    await copyFile(p1, copy);
    await refused([p1, p2, copy], /shard 1\/3 is given twice: .*part-1.* and .*copy-of-1/);
    await rm(copy);
  });

  it('different settings, a different input, a different shard count', async () => {
    const [p1, p2, p3] = parts as [string, string, string];
    const other = join(dir, 'other');
    await mkdir(other, { recursive: true });
    await ok(['mask', whole, ...SETTINGS, '--fill', 'at-most', '--shard', '2/3', '-o', join(other, 'fill.safetensors')]);
    await refused([p1, join(other, 'fill.safetensors'), p3], /different settings \(fill: "exact" vs "atMost"\)/);
    await ok(['mask', index, ...SETTINGS, '--shard', '2/3', '-o', join(other, 'index.safetensors')]);
    await refused([p1, join(other, 'index.safetensors'), p3], /made from different inputs/);
    await ok(['mask', whole, ...SETTINGS, '--shard', '2/4', '-o', join(other, 'four.safetensors')]);
    await refused([p1, join(other, 'four.safetensors'), p3], /different numbers of shards/);
    await refused([p1, p2, p3], /not the checkpoint the parts were computed from/, ['--apply', join(dir, 'refuse', 'p.safetensors'), '--model', index]);
  });

  it('an output that is one of the parts, or of the model read for --apply', async () => {
    const [p1, p2, p3] = parts as [string, string, string];
    const intoPart = await runCli(['merge', p1, p2, p3, '-o', p2, '--force']);
    expect(intoPart.code).toBe(2);
    expect(intoPart.err).toMatch(/-o .*part-2\.safetensors is also an input/);
    const intoModel = await runCli(['merge', p1, p2, p3, '-o', join(dir, 'refuse', 'm.safetensors'), '--apply', whole, '--model', whole, '--force']);
    expect(intoModel.code).toBe(2);
    expect(intoModel.err).toMatch(/--apply .*model\.safetensors is also an input/);
  });

  it('a file that is not a partial result, and a part whose mask was damaged', async () => {
    const [p1, p2, p3] = parts as [string, string, string];
    await refused([p1, p2, whole], /model\.safetensors is not a partial result of 'nmsparse mask --shard' \(no nmsparse_partial metadata\)/);
    const reader = await openSafetensorsFile(p2);
    const tensors = await Promise.all(reader.tensors.map(async (t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: new Uint8Array(await reader.readBytes(t)) })));
    const metadata = reader.metadata;
    await reader.close();
    (tensors[0] as { data: Uint8Array }).data[5] = 2;
    const damaged = join(dir, 'other', 'damaged.safetensors');
    await writeSafetensorsFile(damaged, tensors, { metadata, force: true });
    await refused([p1, damaged, p3], /mask "[^"]+" holds 2 at element 5; masks hold 0 and 1 only/);
    await writeSafetensorsFile(damaged, tensors.slice(1), { metadata, force: true });
    await refused([p1, damaged, p3], /no part holds the mask of/);
    const reshaped = tensors.map((t, k) => (k === 0 ? { ...t, shape: [t.data.length] } : t));
    await writeSafetensorsFile(damaged, reshaped, { metadata, force: true });
    await refused([p1, damaged, p3], /mask "[^"]+" has shape \[\d+\], the weight \[\d+,\d+\]/);
    await refused([p1, p2, p3, damaged], /shard 2\/3 is given twice/);
    const p1Reader = await openSafetensorsFile(p1);
    const moved = [...tensors, ...(await Promise.all(p1Reader.tensors.map(async (t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: new Uint8Array(await p1Reader.readBytes(t)) }))))];
    await p1Reader.close();
    await writeSafetensorsFile(damaged, moved, { metadata, force: true });
    await refused([p1, damaged, p3], /damaged\.safetensors \(shard 2\/3\) holds "[^"]+", which the partition gives shard 1/);
  });
});

describe('an interrupted shard leaves nothing behind and can be rerun alone', () => {
  it('SIGTERM in the middle and kill -9 before the commit: the rerun shard merges to the single run', async () => {
    const work = await folder('interrupted');
    const parts = await runShards(whole, work);
    const part2 = await readFile(parts[1] as string);
    await rm(parts[1] as string);

    const argv = ['mask', whole, ...SETTINGS, '--shard', `2/${K}`, '-o', parts[1] as string];
    const stopped = startCli(bin, argv, 'tensor-1');
    expect(await stopped.paused).toBe('tensor-1');
    stopped.child.kill('SIGTERM');
    expect(await stopped.done).toEqual({ code: 128 + constants.signals.SIGTERM, signal: null, lines: ['nmsparse: interrupted; no output was written (SIGTERM)'] });
    expect(await readdir(work)).toEqual(['part-1.safetensors', 'part-3.safetensors']);

    const killed = startCli(bin, argv, 'committing');
    await killed.paused;
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    expect((await readdir(work)).filter((n) => n.endsWith('.tmp'))).toHaveLength(1);

    const rerun = await startCli(bin, argv).done;
    expect(rerun.code).toBe(0);
    expect(rerun.lines).toEqual([expect.stringMatching(/^nmsparse: removed 1 temporary file\(s\) left by killed runs/)]);
    expect(await readdir(work)).toEqual(['part-1.safetensors', 'part-2.safetensors', 'part-3.safetensors']);
    expect(await readFile(parts[1] as string)).toEqual(part2);

    const merging = startCli(bin, ['merge', ...parts, '-o', join(work, 'merged.safetensors')], 'tensor-2');
    expect(await merging.paused).toBe('tensor-2');
    merging.child.kill('SIGINT');
    expect((await merging.done).code).toBe(128 + constants.signals.SIGINT);
    expect(await readdir(work)).toEqual(['part-1.safetensors', 'part-2.safetensors', 'part-3.safetensors']);

    await ok(['mask', whole, ...SETTINGS, '-o', join(work, 'single.safetensors')]);
    await ok(['merge', ...parts, '-o', join(work, 'merged.safetensors')]);
    expect(await readFile(join(work, 'merged.safetensors'))).toEqual(await readFile(join(work, 'single.safetensors')));
  });
});
