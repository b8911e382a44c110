// One safetensors output as a file or as shard files with their index (src/io/safetensorsOutput.ts):
// the names and the index follow Hugging Face's layout, the set reads back through openCheckpoint as
// the tensors written, in order, and the size split keeps order and its limit.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, type TensorEntry } from '../../src/io/index.js';
import { writeOutputs } from '../../src/io/outputSet.js';
import { byteLength } from '../../src/io/safetensorsHeader.js';
import { isIndexPath, outputSpecs, planSafetensorsOutput, SafetensorsOutput, shardFileName, splitBySize, type TensorGroup } from '../../src/io/safetensorsOutput.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-output-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (name: string, n: number): TensorEntry => ({ name, dtype: 'U8', shape: [n] });

describe('sharded safetensors outputs', () => {
  it('tells index names from file names, and names shards after the index', () => {
    expect(isIndexPath('a/masks.safetensors.index.json')).toBe(true);
    expect(isIndexPath('MASKS.SafeTensors.Index.JSON')).toBe(true);
    expect(isIndexPath('masks.safetensors')).toBe(false);
    expect(isIndexPath('masks.index.json')).toBe(false);
    expect(shardFileName('/x/masks.safetensors.index.json', 2, 12)).toBe('masks-00002-of-00012.safetensors');
  });

  it('writes shards and an index that read back as the tensors written, empty groups left out', async () => {
    const path = join(dir, 'out.safetensors.index.json');
    const groups: TensorGroup[] = [
      { entries: [entry('b', 3), entry('1', 2)], metadata: { k: 'one' } },
      { entries: [], metadata: {} },
      { entries: [entry('a', 4)], metadata: { k: 'three' } },
    ];
    const plan = planSafetensorsOutput(path, groups);
    expect(plan.files.map((f) => f.path)).toEqual([join(dir, 'out-00001-of-00002.safetensors'), join(dir, 'out-00002-of-00002.safetensors')]);
    await writeOutputs(outputSpecs(plan, '-o'), {}, async (set) => {
      const out = await SafetensorsOutput.open(set, plan);
      await expect(out.write('1', new Uint8Array(2))).rejects.toMatchObject({ code: 'E_SHAPE' }); // b comes first in its file
      await expect(out.write('zz', new Uint8Array(2))).rejects.toMatchObject({ code: 'E_SHAPE' }); // not a tensor of the output
      await out.write('b', Uint8Array.of(1, 2, 3));
      await out.write('1', Uint8Array.of(4, 5));
      await out.write('a', Uint8Array.of(6, 7, 8, 9));
      await out.commit();
    });
    expect((await readdir(dir)).sort()).toEqual(['out-00001-of-00002.safetensors', 'out-00002-of-00002.safetensors', 'out.safetensors.index.json']);
    const index = JSON.parse(await readFile(path, 'utf8')) as unknown;
    expect(index).toEqual({ metadata: { total_size: 9 }, weight_map: { b: 'out-00001-of-00002.safetensors', 1: 'out-00001-of-00002.safetensors', a: 'out-00002-of-00002.safetensors' } });
    expect(await readFile(path, 'utf8')).toMatch(/"b": .*\n.*"1": /); // tensor order, not object-key order
    const store = await openCheckpoint(path);
    try {
      expect(store.tensors.map((t) => t.name)).toEqual(['b', '1', 'a']);
      expect(store.shards.map((s) => s.metadata)).toEqual([{ k: 'one' }, { k: 'three' }]);
      expect([...(await store.readBytes(store.tensor('a')))]).toEqual([6, 7, 8, 9]);
    } finally {
      await store.close();
    }
  });

  it('a plain file name takes exactly one group', () => {
    expect(planSafetensorsOutput(join(dir, 'one.safetensors'), [{ entries: [entry('x', 1)], metadata: {} }]).index).toBeUndefined();
    expect(() => planSafetensorsOutput(join(dir, 'one.safetensors'), [])).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
  });

  it('splitBySize keeps order, stays within the limit unless a tensor alone is larger, and starts a shard only when needed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 40 }), fc.integer({ min: 1, max: 150 }), (sizes, max) => {
        const entries = sizes.map((n, i) => entry(`t${i}`, n));
        const groups = splitBySize(entries, max, { m: 'x' });
        expect(groups.flatMap((g) => g.entries)).toEqual(entries);
        const size = (g: { entries: readonly TensorEntry[] }) => g.entries.reduce((s, e) => s + byteLength(e), 0);
        groups.forEach((g, k) => {
          expect(g.entries.length).toBeGreaterThan(0);
          expect(g.metadata).toEqual({ m: 'x' });
          if (g.entries.length > 1) expect(size(g)).toBeLessThanOrEqual(max);
          const next = groups[k + 1];
          if (next) expect(size(g) + byteLength(next.entries[0] as TensorEntry)).toBeGreaterThan(max);
        });
      }),
      { seed: 21, numRuns: 300 },
    );
  });
});
