// Sharded checkpoints read through their index (src/io/checkpoint.ts): the shards behave as one file,
// and a hostile or inconsistent index is refused with E_FORMAT before any tensor is read.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFormat, openCheckpoint, writeSafetensorsFile } from '../../src/io/index.js';
import { absGaussianMatrix } from '../support/random.js';

let dir = '';
const a = absGaussianMatrix(8, 16, 1).data;
const b = absGaussianMatrix(16, 8, 2).data;
const c = absGaussianMatrix(4, 4, 3).data;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-shards-'));
  await writeSafetensorsFile(join(dir, 'model-00001-of-00002.safetensors'), [
    { name: 'layers.0.weight', dtype: 'F32', shape: [8, 16], data: a },
    { name: 'layers.0.bias', dtype: 'F32', shape: [4, 4], data: c },
  ]);
  await writeSafetensorsFile(join(dir, 'model-00002-of-00002.safetensors'), [{ name: 'layers.1.weight', dtype: 'BF16', shape: [16, 8], data: b }]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MAP = {
  'layers.0.weight': 'model-00001-of-00002.safetensors',
  'layers.0.bias': 'model-00001-of-00002.safetensors',
  'layers.1.weight': 'model-00002-of-00002.safetensors',
};

async function index(name: string, body: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return path;
}

describe('sharded checkpoints', () => {
  it('reads the shards of an index as one checkpoint, metadata included', async () => {
    const path = await index('model.safetensors.index.json', { metadata: { total_size: 1234, format: 'pt' }, weight_map: MAP });
    expect(await detectFormat(path)).toBe('safetensors-index');
    const store = await openCheckpoint(path);
    try {
      expect(store.tensors.map((t) => t.name)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight']);
      expect(store.metadata).toEqual({ total_size: '1234', format: 'pt' });
      expect(store.files).toHaveLength(2);
      expect(store.sharded).toBe(true);
      expect(store.shards.map((s) => [s.file, s.tensors.map((t) => t.name)])).toEqual([
        [join(dir, 'model-00001-of-00002.safetensors'), ['layers.0.weight', 'layers.0.bias']],
        [join(dir, 'model-00002-of-00002.safetensors'), ['layers.1.weight']],
      ]);
      expect(await store.readFloats(store.tensor('layers.0.weight'))).toEqual(a);
      expect(await store.readFloats(store.tensor('layers.0.bias'))).toEqual(c);
      const bf16 = await store.readFloats(store.tensor('layers.1.weight'));
      bf16.forEach((v, k) => expect(Math.abs(v - (b[k] as number))).toBeLessThanOrEqual(Math.abs(b[k] as number) / 128));
      expect(() => store.tensor('nope')).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    } finally {
      await store.close();
    }
  });

  it('opens a single safetensors file through the same interface', async () => {
    const store = await openCheckpoint(join(dir, 'model-00002-of-00002.safetensors'));
    expect(store.tensors.map((t) => t.name)).toEqual(['layers.1.weight']);
    expect(store.sharded).toBe(false);
    expect(store.shards).toEqual([{ file: join(dir, 'model-00002-of-00002.safetensors'), metadata: {}, tensors: store.tensors }]);
    await store.close();
  });

  it('refuses hostile and inconsistent indexes with E_FORMAT', async () => {
    const cases: Array<[string, unknown]> = [
      ['escape', { weight_map: { ...MAP, 'layers.1.weight': '../model-00002-of-00002.safetensors' } }],
      ['absolute', { weight_map: { ...MAP, 'layers.1.weight': join(dir, 'model-00002-of-00002.safetensors') } }],
      ['subdir', { weight_map: { ...MAP, 'layers.1.weight': 'sub/model.safetensors' } }],
      ['no map', { metadata: {} }],
      ['empty map', { weight_map: {} }],
      ['extra key', { weight_map: MAP, other: 1 }],
      ['not a name', { weight_map: { ...MAP, 'layers.1.weight': 7 } }],
      ['unmapped tensor', { weight_map: { 'layers.0.weight': MAP['layers.0.weight'], 'layers.1.weight': MAP['layers.1.weight'] } }],
      ['missing tensor', { weight_map: { ...MAP, 'layers.9.weight': 'model-00002-of-00002.safetensors' } }],
      ['wrong shard', { weight_map: { ...MAP, 'layers.0.bias': 'model-00002-of-00002.safetensors' } }],
      ['nested metadata', { metadata: { a: { b: 1 } }, weight_map: MAP }],
      ['duplicate key', `{"weight_map": {"layers.0.weight": "x.safetensors", "layers.0.weight": "y.safetensors"}}`],
      ['deep', `{"weight_map": ${'['.repeat(5000)}${']'.repeat(5000)}}`],
      ['not json', '{ weight_map: nope'],
    ];
    for (const [name, body] of cases) {
      const path = await index(`bad-${name.replace(/ /g, '-')}.json`, body);
      await expect(openCheckpoint(path), name).rejects.toMatchObject({ code: 'E_FORMAT' });
    }
    // A shard that does not exist is an I/O error naming it.
    const missing = await index('missing-shard.json', { weight_map: { ...MAP, 'layers.1.weight': 'gone.safetensors' } });
    await expect(openCheckpoint(missing)).rejects.toMatchObject({ code: 'E_IO' });
  });
});
