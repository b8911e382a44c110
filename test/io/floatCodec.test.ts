// decodeFloats into a caller's buffer: the same values as a fresh decode for every encoding and any
// byte alignment, whatever the buffer held before; a buffer of the wrong length is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFloats, type FloatEncoding } from '../../src/io/floatCodec.js';

const SIZE: Record<FloatEncoding, number> = { f16: 2, bf16: 2, f32: 4, f64: 8 };

describe('decodeFloats into a given buffer', () => {
  it('equals a fresh decode, at every byte offset, over stale contents', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<FloatEncoding>('f16', 'bf16', 'f32', 'f64'),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer(),
        (encoding, count, offset, seed) => {
          const bytes = new Uint8Array(offset + count * SIZE[encoding]);
          let s = seed >>> 0;
          for (let i = 0; i < bytes.length; i++) bytes[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
          const view = bytes.subarray(offset);
          const fresh = decodeFloats(view, encoding);
          const into = new Float32Array(count).fill(123.5);
          const got = decodeFloats(view, encoding, into);
          expect(got).toBe(into);
          expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(fresh.buffer)); // bit for bit, NaNs too
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });

  it('refuses a buffer of another length', () => {
    expect(() => decodeFloats(new Uint8Array(8), 'f16', new Float32Array(3))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
  });
});
