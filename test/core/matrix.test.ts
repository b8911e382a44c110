import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { firstNonFinite, gatherTiles, scatterTiles, toMatrix, validatePattern } from '../../src/core/matrix.js';
import { scoresFrom } from '../../src/scores.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return err instanceof NmsparseError ? err.code : `not NmsparseError: ${String(err)}`;
  }
  return undefined;
}

describe('firstNonFinite', () => {
  /** The plain definition, one value at a time. */
  const oracle = (data: ArrayLike<number>): number => {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
    return -1;
  };

  it('finds the first NaN or ±Infinity of f32 data (any length, any offset into its buffer) and of plain arrays', () => {
    const bad = fc.constantFrom(Number.NaN, Infinity, -Infinity);
    const good = fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 3.4e38, -3.4e38, 1e-45));
    fc.assert(
      fc.property(
        fc.array(good, { maxLength: 40 }),
        fc.array(fc.record({ at: fc.nat(), value: bad }), { maxLength: 3 }),
        fc.nat(3),
        (values, holes, offset) => {
          const buffer = new Float32Array(values.length + offset);
          const data = buffer.subarray(offset);
          data.set(values);
          for (const h of holes) if (data.length) data[h.at % data.length] = h.value;
          expect(firstNonFinite(data)).toBe(oracle(data));
          expect(firstNonFinite(Array.from(data))).toBe(oracle(data));
        },
      ),
      { seed: 20261201, numRuns: 2000 },
    );
  });
});

describe('toMatrix', () => {
  it('accepts nested rows and flat data alike', () => {
    const a = toMatrix([
      [1, 2],
      [3, 4],
    ]);
    const b = toMatrix({ rows: 2, cols: 2, data: [1, 2, 3, 4] });
    expect(a).toEqual(b);
    expect(a.data).toBeInstanceOf(Float32Array);
  });

  it('uses f32 data as it is and converts anything else, never modifying the input', () => {
    const f32 = new Float32Array([1, 2, 3, 4]);
    expect(toMatrix({ rows: 2, cols: 2, data: f32 }).data).toBe(f32);
    const f64 = new Float64Array([1.5, -2, 3, 1e-50]);
    const m = toMatrix({ rows: 2, cols: 2, data: f64 });
    expect(Array.from(m.data)).toEqual([1.5, -2, 3, 0]);
    expect(f64[3]).toBe(1e-50);
  });

  it('rejects bad shapes and values with NmsparseError', () => {
    expect(codeOf(() => toMatrix({ rows: 2, cols: 2, data: [1, 2, 3] }))).toBe('E_SHAPE');
    expect(codeOf(() => toMatrix({ rows: 0, cols: 2, data: [] }))).toBe('E_SHAPE');
    expect(codeOf(() => toMatrix({ rows: 1.5, cols: 2, data: [1, 2, 3] }))).toBe('E_SHAPE');
    expect(codeOf(() => toMatrix([[1, 2], [3]]))).toBe('E_SHAPE');
    expect(codeOf(() => toMatrix([]))).toBe('E_SHAPE');
    expect(codeOf(() => toMatrix({ rows: 1, cols: 2, data: [1, Number.NaN] }))).toBe('E_NONFINITE');
    expect(codeOf(() => toMatrix({ rows: 1, cols: 2, data: [Infinity, 1] }))).toBe('E_NONFINITE');
    // Finite in f64 but not in f32.
    expect(codeOf(() => toMatrix({ rows: 1, cols: 2, data: [1e39, 1] }))).toBe('E_NONFINITE');
  });

  it('names the offending entry', () => {
    expect(() => toMatrix({ rows: 2, cols: 2, data: [0, 0, 0, Number.NaN] })).toThrow(/\[1, 1\]/);
  });
});

describe('validatePattern', () => {
  it('accepts 1 ≤ N < M integers and rejects everything else', () => {
    expect(codeOf(() => validatePattern(2, 4))).toBeUndefined();
    expect(codeOf(() => validatePattern(1, 2))).toBeUndefined();
    for (const [n, m] of [
      [0, 4],
      [4, 4],
      [5, 4],
      [2.5, 4],
      [2, Number.NaN],
      ['2', 4],
      [-1, 4],
    ]) {
      expect(codeOf(() => validatePattern(n, m))).toBe('E_PATTERN');
    }
  });
});

describe('tiling', () => {
  it('scatter(gather(x)) is the identity on every tiled shape', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (m, tr, tc) => {
        const rows = m * tr;
        const cols = m * tc;
        const data = Float32Array.from({ length: rows * cols }, (_, i) => i);
        const tiles = gatherTiles({ rows, cols, data }, m);
        // Tile t holds the block at tile-row t / tc, tile-col t % tc.
        const t = tiles.length / (m * m) - 1;
        expect(tiles[t * m * m]).toBe((Math.floor(t / tc) * m) * cols + (t % tc) * m);
        const bytes = Uint8Array.from(tiles, (v) => v % 251);
        const back = scatterTiles(bytes, rows, cols, m);
        expect(Array.from(back)).toEqual(Array.from(data, (v) => v % 251));
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});

describe('scoresFrom', () => {
  it('takes magnitudes by default and keeps raw values on request', () => {
    const w = { rows: 1, cols: 4, data: [-3, 2, -0.5, 0] };
    expect(Array.from(scoresFrom(w).data)).toEqual([3, 2, 0.5, 0]);
    expect(Array.from(scoresFrom(w, 'raw').data)).toEqual([-3, 2, -0.5, 0]);
    expect(codeOf(() => scoresFrom(w, 'square' as never))).toBe('E_OPTION');
  });
});
