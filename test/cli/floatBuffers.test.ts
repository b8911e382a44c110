// The checkpoint loops' buffer reuse: a buffer handed back is handed out again for the same size,
// never for another, and only a bounded number of idle buffers is kept.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FloatBuffers } from '../../src/cli/floatBuffers.js';

describe('FloatBuffers', () => {
  it('reuses a returned buffer for the same length only, and keeps at most two idle', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 4 })), { maxLength: 60 }), (ops) => {
        const pool = new FloatBuffers();
        const out = new Set<Float32Array>();
        let idle: Float32Array[] = [];
        for (const [take, length] of ops) {
          if (take) {
            const b = pool.take(length);
            expect(b.length).toBe(length);
            expect(out.has(b)).toBe(false); // never handed out twice at once
            const reusable = idle.find((x) => x.length === length);
            if (reusable) expect(b).toBe(reusable);
            idle = idle.filter((x) => x !== b);
            out.add(b);
          } else if (out.size > 0) {
            const b = [...out][0] as Float32Array;
            out.delete(b);
            pool.give(b);
            idle.push(b);
            if (idle.length > 2) idle.shift();
          }
        }
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});
