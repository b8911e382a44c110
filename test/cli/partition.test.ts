// The partition of --shard i/k: every tensor in exactly one shard, the same answer for the same
// tensors whatever their order, balanced (max load ≤ average + largest cost), and i/k parsed strictly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SHARDS, parseShard, partition, type CostedItem } from '../../src/cli/partition.js';
import { NmsparseError } from '../../src/core/errors.js';

const items = fc.uniqueArray(fc.record({ name: fc.string({ minLength: 1, maxLength: 6 }), cost: fc.integer({ min: 1, max: 1 << 20 }) }), {
  selector: (x) => x.name,
  maxLength: 60,
});

function loads(list: readonly CostedItem[], shardOf: Map<string, number>, k: number): number[] {
  const l = new Array<number>(k).fill(0);
  for (const x of list) l[shardOf.get(x.name) as number] += x.cost;
  return l;
}

describe('partition', () => {
  it('puts every item in exactly one shard in 0..k-1', () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 1, max: 12 }), (list, k) => {
        const shardOf = partition(list, k);
        expect([...shardOf.keys()].sort()).toEqual(list.map((x) => x.name).sort());
        for (const s of shardOf.values()) expect(s >= 0 && s < k && Number.isInteger(s)).toBe(true);
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('depends only on the items, not on their order', () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 1, max: 12 }), fc.integer(), (list, k, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(list, { minLength: list.length }), { seed, numRuns: 1 })[0] as CostedItem[];
        expect(partition(shuffled, k)).toEqual(partition(list, k));
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it('is balanced: the largest load is at most the average plus the largest cost', () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 1, max: 12 }), (list, k) => {
        const l = loads(list, partition(list, k), k);
        const total = l.reduce((a, b) => a + b, 0);
        const largest = Math.max(0, ...list.map((x) => x.cost));
        expect(Math.max(...l)).toBeLessThanOrEqual(total / k + largest);
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('follows the documented rule on a worked example: largest first, least loaded, ties by name and shard', () => {
    const list = [
      { name: 'b', cost: 4 },
      { name: 'a', cost: 4 },
      { name: 'c', cost: 9 },
      { name: 'd', cost: 1 },
    ];
    // c → 0 (9); a → 1 (4); b → 2 (4); d → 1 (the lowest of the two least loaded).
    expect(partition(list, 3)).toEqual(new Map([['c', 0], ['a', 1], ['b', 2], ['d', 1]]));
  });
});

describe('--shard i/k', () => {
  it('accepts 1 ≤ i ≤ k ≤ MAX_SHARDS in plain decimal', () => {
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('3/7')).toEqual({ index: 3, count: 7 });
    expect(parseShard(`${MAX_SHARDS}/${MAX_SHARDS}`)).toEqual({ index: MAX_SHARDS, count: MAX_SHARDS });
  });

  it('refuses anything else with E_OPTION', () => {
    for (const text of ['', '0/3', '4/3', `1/${MAX_SHARDS + 1}`, '01/3', '1/03', '1/3/', '/3', '1/', 'a/b', ' 1/3', '1 /3', '-1/3', '+1/3', '1.0/3', '1e0/3', '1\\3', '2']) {
      let err: unknown;
      try {
        parseShard(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(NmsparseError);
      expect((err as NmsparseError).code).toBe('E_OPTION');
    }
  });
});
