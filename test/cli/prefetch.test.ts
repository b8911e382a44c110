// The checkpoint loops' one-ahead prefetcher: order, how far ahead it reads, and where failures surface.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prefetcher } from '../../src/cli/prefetch.js';

describe('Prefetcher', () => {
  it('hands out every item once, in order, preparing at most one ahead of the one taken', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { minLength: 1, maxLength: 20 }), async (items) => {
        const started: number[] = [];
        let taken = 0;
        const p = new Prefetcher(items.map((_, i) => i), async (i) => {
          started.push(i);
          // Never more than the item being worked on and the next one.
          expect(i).toBeLessThanOrEqual(taken + 1);
          await Promise.resolve();
          return items[i];
        });
        const got: number[] = [];
        for (let k = 0; k < items.length; k++) {
          got.push(await p.take());
          taken = k + 1;
          await new Promise((r) => setTimeout(r, 0)); // the caller's work on item k
          if (k + 1 < items.length) expect(started).toContain(k + 1); // the next is already under way
        }
        expect(got).toEqual(items);
        expect(started).toEqual(items.map((_, i) => i));
        await expect(p.take()).rejects.toThrow(RangeError);
      }),
      { seed: 7, numRuns: 50 },
    );
  });

  it('a failed preparation rejects the take that asks for it, and unobserved ones are not unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const p = new Prefetcher([0, 1, 2], async (i) => {
        if (i === 1) throw new Error(`bad ${i}`);
        return i;
      });
      expect(await p.take()).toBe(0);
      await expect(p.take()).rejects.toThrow('bad 1');
      // A run that stops while the next item is being prepared leaves no unhandled rejection behind.
      const q = new Prefetcher([0, 1], async (i) => {
        if (i === 1) throw new Error('never taken');
        return i;
      });
      expect(await q.take()).toBe(0);
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
