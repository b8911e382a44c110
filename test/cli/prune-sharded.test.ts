// `nmsparse prune`'s checkpoint form writing sharded sets (-o / --masks-out NAME.safetensors.index.json):
// a sharded model's outputs mirror its shards (each output shard holds its input shard's tensors, with
// that shard's metadata plus the settings), a single-file model's are split by --max-shard-size (an
// independent oracle of the greedy rule), and in both cases the tensors read back through the index are
// bit for bit those of the single-file outputs. All files of both outputs are one output set: a failure,
// a signal or a kill -9 leaves none of them, and refusals keep their stable codes.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneCommand } from '../../src/cli/commands/prune.js';
import { openCheckpoint, openSafetensorsFile, writeSafetensorsFile, type TensorData } from '../../src/io/index.js';
import { builtCli } from '../support/builtCli.js';
import { errLines, runCliCatching } from '../support/cli.js';
import { startCli } from '../support/cliProcess.js';
import { plainHessian, scaledLayer } from '../support/pruneLayers.js';
import { gaussianMatrix } from '../support/random.js';

const tensor = (name: string, dtype: TensorData['dtype'], shape: number[], seed: number): TensorData => ({
  name,
  dtype,
  shape,
  data: gaussianMatrix(shape[0] as number, shape.slice(1).reduce((p, d) => p * d, 1), seed).data,
});
// embed.weight has no Hessian (skipped, copied), so the first input shard gets no mask.
const TENSORS = [
  tensor('embed.weight', 'F32', [32, 16], 1),
  tensor('norm.bias', 'F32', [16], 2),
  tensor('layer.0.weight', 'F16', [16, 32], 3),
  tensor('layer.1.weight', 'BF16', [32, 16], 4),
  tensor('layer.2.weight', 'F32', [24, 16], 5),
  tensor('head.bias', 'F32', [8], 6),
];
const SHARDS = [TENSORS.slice(0, 2), TENSORS.slice(2, 4), TENSORS.slice(4)];
const SHARD_METADATA = SHARDS.map((_, j) => ({ format: 'pt', shard: String(j + 1) }));
const PRUNED = ['layer.0.weight', 'layer.1.weight', 'layer.2.weight'];
const SETTINGS = ['--n', '2', '--m', '4', '--method', 'sparsegpt', '--quiet'];

/** H = XᵀX of seeded AR(1) inputs for a weight with `cols` inputs, stored in F32. */
function hessian(name: string, cols: number, seed: number, poison = false): TensorData {
  const h = Float32Array.from(plainHessian(scaledLayer(1, cols, 4 * cols, 0.8, 1, seed).inputs));
  if (poison) h[cols + 1] = NaN;
  return { name, dtype: 'F32', shape: [cols, cols], data: h };
}
const hessians = (poisonLast = false) => PRUNED.map((name, k) => hessian(name, TENSORS.find((t) => t.name === name)?.shape[1] as number, 20 + k, poisonLast && k === PRUNED.length - 1));

let dir = '';
let whole = '';
let index = '';
let hPath = '';
let poisoned = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-prune-sharded-'));
  whole = join(dir, 'whole.safetensors');
  await writeSafetensorsFile(whole, TENSORS, { metadata: { format: 'pt' } });
  const weightMap: Record<string, string> = {};
  for (const [j, shard] of SHARDS.entries()) {
    const file = `model-0000${j + 1}-of-00003.safetensors`;
    await writeSafetensorsFile(join(dir, file), shard, { metadata: SHARD_METADATA[j] as Record<string, string> });
    for (const t of shard) weightMap[t.name] = file;
  }
  index = join(dir, 'model.safetensors.index.json');
  await writeFile(index, JSON.stringify({ metadata: { total_size: 4000 }, weight_map: weightMap }));
  hPath = join(dir, 'h.safetensors');
  await writeSafetensorsFile(hPath, hessians());
  poisoned = join(dir, 'h-nan.safetensors');
  await writeSafetensorsFile(poisoned, hessians(true));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

let folders = 0;
/** A fresh, empty folder for one run's outputs. */
async function folder(): Promise<string> {
  const path = join(dir, `out-${++folders}`);
  await mkdir(path);
  return path;
}

const prune = (model: string, rest: string[], h = hPath) => runCliCatching(pruneCommand, ['prune', model, '--hessians', h, ...SETTINGS, ...rest]);

async function ok(model: string, rest: string[]): Promise<void> {
  const r = await prune(model, rest);
  expect(r.code, r.err).toBe(0);
}

interface Stored {
  dtype: string;
  shape: readonly number[];
  bytes: Uint8Array;
}

/** Every tensor of a file or a sharded set (through its index), in order, and the metadata. */
async function readAll(path: string): Promise<{ tensors: Map<string, Stored>; metadata: Record<string, string> }> {
  const store = await openCheckpoint(path);
  try {
    const tensors = new Map<string, Stored>();
    for (const t of store.tensors) tensors.set(t.name, { dtype: t.dtype, shape: t.shape, bytes: new Uint8Array(await store.readBytes(t)) });
    return { tensors, metadata: store.metadata };
  } finally {
    await store.close();
  }
}

/** The shard files of an index in the order of its weight map, each with its tensors, and total_size. */
async function shardsOf(indexPath: string): Promise<{ files: [string, string[]][]; totalSize: number }> {
  const text = JSON.parse(await readFile(indexPath, 'utf8')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
  const files = new Map<string, string[]>();
  for (const [name, file] of Object.entries(text.weight_map)) files.set(file, [...(files.get(file) ?? []), name]);
  return { files: [...files], totalSize: text.metadata.total_size };
}

/** Each shard file's own tensor names and metadata, read from the file itself. */
async function shardFile(path: string): Promise<{ names: string[]; metadata: Record<string, string>; bytes: number }> {
  const reader = await openSafetensorsFile(path);
  try {
    const bytes = reader.tensors.reduce((sum, t) => sum + (t.end - t.begin), 0);
    return { names: reader.tensors.map((t) => t.name), metadata: reader.metadata, bytes };
  } finally {
    await reader.close();
  }
}

/** The two stores hold the same tensors in the same order, bit for bit. */
function expectSameTensors(got: Map<string, Stored>, want: Map<string, Stored>): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [name, w] of want) {
    const g = got.get(name) as Stored;
    expect({ dtype: g.dtype, shape: g.shape }, name).toEqual({ dtype: w.dtype, shape: w.shape });
    expect(Buffer.from(g.bytes).equals(Buffer.from(w.bytes)), name).toBe(true);
  }
}

describe('prune MODEL.safetensors.index.json -o PRUNED.safetensors.index.json', () => {
  it("mirrors the input's shards, with each shard's metadata, and holds the single-file outputs' tensors bit for bit", async () => {
    const work = await folder();
    await ok(index, ['-o', join(work, 'single.safetensors'), '--masks-out', join(work, 'single-masks.safetensors')]);
    await ok(index, ['-o', join(work, 'pruned.safetensors.index.json'), '--masks-out', join(work, 'masks.safetensors.index.json')]);
    expect((await readdir(work)).sort()).toEqual([
      'masks-00001-of-00002.safetensors',
      'masks-00002-of-00002.safetensors',
      'masks.safetensors.index.json',
      'pruned-00001-of-00003.safetensors',
      'pruned-00002-of-00003.safetensors',
      'pruned-00003-of-00003.safetensors',
      'pruned.safetensors.index.json',
      'single-masks.safetensors',
      'single.safetensors',
    ]);
    const single = await readAll(join(work, 'single.safetensors'));
    const nmsparse = single.metadata.nmsparse as string;
    expect(JSON.parse(nmsparse)).toMatchObject({ n: 2, m: 4, method: 'sparsegpt' });

    // The pruned set: shard j holds input shard j's tensors, with its metadata plus the settings.
    const pruned = await shardsOf(join(work, 'pruned.safetensors.index.json'));
    expect(pruned.files).toEqual(SHARDS.map((s, j) => [`pruned-0000${j + 1}-of-00003.safetensors`, s.map((t) => t.name)]));
    let total = 0;
    for (const [j, [file, names]] of pruned.files.entries()) {
      const shard = await shardFile(join(work, file));
      expect(shard.names).toEqual(names);
      expect(shard.metadata).toEqual({ ...SHARD_METADATA[j], nmsparse });
      total += shard.bytes;
    }
    expect(pruned.totalSize).toBe(total);
    expectSameTensors((await readAll(join(work, 'pruned.safetensors.index.json'))).tensors, single.tensors);

    // The masks set: the first input shard has no pruned weight, so its empty output shard is dropped.
    const masks = await shardsOf(join(work, 'masks.safetensors.index.json'));
    expect(masks.files).toEqual([
      ['masks-00001-of-00002.safetensors', ['layer.0.weight', 'layer.1.weight']],
      ['masks-00002-of-00002.safetensors', ['layer.2.weight']],
    ]);
    for (const [k, [file]] of masks.files.entries()) expect((await shardFile(join(work, file))).metadata).toEqual({ ...SHARD_METADATA[k + 1], nmsparse });
    expectSameTensors((await readAll(join(work, 'masks.safetensors.index.json'))).tensors, (await readAll(join(work, 'single-masks.safetensors'))).tensors);
  });

  it('one output sharded and the other a single file: the single file is the same bytes as before', async () => {
    const work = await folder();
    await ok(index, ['-o', join(work, 'single.safetensors'), '--masks-out', join(work, 'single-masks.safetensors')]);
    await ok(index, ['-o', join(work, 'p.safetensors'), '--masks-out', join(work, 'm.safetensors.index.json')]);
    await ok(index, ['-o', join(work, 'q.safetensors.index.json'), '--masks-out', join(work, 'n.safetensors')]);
    expect(await readFile(join(work, 'p.safetensors'))).toEqual(await readFile(join(work, 'single.safetensors')));
    expect(await readFile(join(work, 'n.safetensors'))).toEqual(await readFile(join(work, 'single-masks.safetensors')));
    expectSameTensors((await readAll(join(work, 'm.safetensors.index.json'))).tensors, (await readAll(join(work, 'single-masks.safetensors'))).tensors);
    expectSameTensors((await readAll(join(work, 'q.safetensors.index.json'))).tensors, (await readAll(join(work, 'single.safetensors'))).tensors);
  });
});

describe('prune MODEL.safetensors -o PRUNED.safetensors.index.json --max-shard-size SIZE', () => {
  it('splits each output greedily by size (a shard past the limit holds one tensor) and keeps every tensor bit for bit', async () => {
    const reference = await folder();
    await ok(whole, ['-o', join(reference, 'p.safetensors'), '--masks-out', join(reference, 'm.safetensors')]);
    const want = { p: await readAll(join(reference, 'p.safetensors')), m: await readAll(join(reference, 'm.safetensors')) };
    const dataBytes = (store: typeof want.p) => [...store.tensors.values()].reduce((sum, t) => sum + t.bytes.length, 0);
    const size = (store: typeof want.p, names: string[]) => names.reduce((sum, n) => sum + (store.tensors.get(n) as Stored).bytes.length, 0);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: dataBytes(want.p) + 16 }), async (limit) => {
        const work = await folder();
        await ok(whole, ['-o', join(work, 'p.safetensors.index.json'), '--masks-out', join(work, 'm.safetensors.index.json'), '--max-shard-size', String(limit)]);
        for (const [name, ref] of Object.entries(want)) {
          const { files, totalSize } = await shardsOf(join(work, `${name}.safetensors.index.json`));
          const groups = files.map(([, names]) => names);
          expect(groups.flat()).toEqual([...ref.tensors.keys()]);
          expect(totalSize).toBe(dataBytes(ref));
          for (const [k, names] of groups.entries()) {
            if (names.length > 1) expect(size(ref, names), `${name} shard ${k + 1}`).toBeLessThanOrEqual(limit);
            const next = groups[k + 1];
            if (next) expect(size(ref, [...names, next[0] as string]), `${name} shard ${k + 1} could take the next tensor`).toBeGreaterThan(limit);
            const [file] = files[k] as [string, string[]];
            expect(file).toBe(`${name}-${String(k + 1).padStart(5, '0')}-of-${String(files.length).padStart(5, '0')}.safetensors`);
            expect((await shardFile(join(work, file))).metadata).toEqual(ref.metadata);
          }
          expectSameTensors((await readAll(join(work, `${name}.safetensors.index.json`))).tensors, ref.tensors);
        }
        await rm(work, { recursive: true });
      }),
      { seed: 12, numRuns: 8 },
    );
  });
});

describe('all files of both sharded outputs appear together or not at all', () => {
  const outputs = (work: string) => ['-o', join(work, 'pruned.safetensors.index.json'), '--masks-out', join(work, 'masks.safetensors.index.json')];

  it('a NaN in the last Hessian fails the run after the other tensors were written: E_NONFINITE, no file', async () => {
    const work = await folder();
    const r = await prune(index, outputs(work), poisoned);
    expect(r.code).toBe(2);
    expect(errLines(r)).toEqual([expect.stringMatching(/tensor "layer\.2\.weight": hessian\[1, 1\] is NaN/)]);
    expect(r.error?.code).toBe('E_NONFINITE');
    expect(await readdir(work)).toEqual([]);
  });

  it('SIGTERM after the first tensor and SIGINT before the commit leave nothing; a kill -9 leaves temporary files the next run removes', async () => {
    const bin = builtCli();
    const work = await folder();
    const argv = ['prune', index, '--hessians', hPath, ...SETTINGS, ...outputs(work)];
    for (const [point, signal] of [['tensor-1', 'SIGTERM'], ['committing', 'SIGINT']] as const) {
      const run = startCli(bin, argv, point);
      expect(await run.paused).toBe(point);
      run.child.kill(signal);
      expect(await run.done).toEqual({ code: 128 + constants.signals[signal], signal: null, lines: [`nmsparse: interrupted; no output was written (${signal})`] });
      expect(await readdir(work)).toEqual([]);
    }
    const killed = startCli(bin, argv, 'committing');
    await killed.paused;
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    const left = await readdir(work);
    expect(left).toHaveLength(7); // 3 + 2 shards and 2 indexes, all still temporary
    expect(left.every((n) => n.endsWith('.tmp'))).toBe(true);
    const rerun = await startCli(bin, argv).done;
    expect(rerun.code).toBe(0);
    expect(rerun.lines).toEqual([expect.stringMatching(/^nmsparse: removed 7 temporary file\(s\) left by killed runs/)]);
    expect((await readdir(work)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(work)).toHaveLength(7);
  });
});

describe('refusals before any work', () => {
  /** A failing prune: exit 2, one line, the code, and the folder as it was. */
  async function fails(model: string, rest: string[], work: string, code: string, message: RegExp): Promise<void> {
    const before = (await readdir(work)).sort();
    const r = await prune(model, rest);
    expect(r.code, r.err).toBe(2);
    expect(errLines(r)).toEqual([expect.stringMatching(message)]);
    expect(r.error?.code).toBe(code);
    expect((await readdir(work)).sort()).toEqual(before);
  }

  it('--max-shard-size where it would change nothing is E_OPTION', async () => {
    const work = await folder();
    await fails(whole, ['-o', join(work, 'p.safetensors'), '--masks-out', join(work, 'm.safetensors'), '--max-shard-size', '1KB'], work, 'E_OPTION', /--max-shard-size applies only when -o or --masks-out names a \.safetensors\.index\.json/);
    await fails(index, ['-o', join(work, 'p.safetensors.index.json'), '--max-shard-size', '1KB'], work, 'E_OPTION', /--max-shard-size applies to a single-file input; the outputs of a sharded input mirror its shards/);
  });

  it('an existing shard file refuses the whole set (E_IO) unless --force, which replaces it', async () => {
    const work = await folder();
    await writeFile(join(work, 'masks-00002-of-00002.safetensors'), 'old');
    const argv = ['-o', join(work, 'pruned.safetensors.index.json'), '--masks-out', join(work, 'masks.safetensors.index.json')];
    await fails(index, argv, work, 'E_IO', /^nmsparse prune: --masks-out .*masks-00002-of-00002\.safetensors already exists; use --force/);
    await ok(index, [...argv, '--force']);
    expect(await readdir(work)).toHaveLength(7);
    expect((await shardFile(join(work, 'masks-00002-of-00002.safetensors'))).names).toEqual(['layer.2.weight']);
  });

  it("shard files that would be an input's shard, or the other output's file, are E_IO even with --force", async () => {
    const work = await folder();
    await copyFile(whole, join(work, 'model.safetensors'));
    const model = join(work, 'model.safetensors');
    // The input's own shards: -o named like the input's index writes its shard names.
    await fails(index, ['-o', join(dir, 'model.safetensors.index.json'), '--force'], work, 'E_IO', /-o .*model-00001-of-00003\.safetensors is also an input/);
    await fails(model, ['-o', join(work, 'p.safetensors.index.json'), '--masks-out', join(work, 'p-00001-of-00001.safetensors'), '--force'], work, 'E_IO', /is the same file as -o .*p-00001-of-00001\.safetensors/);
  });
});
