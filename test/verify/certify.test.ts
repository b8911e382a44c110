import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { certify } from '../../src/verify/certify.js';
import { NmsparseError } from '../../src/core/errors.js';
import { standardMask, transposableMask } from '../../src/masks.js';
import { gaussianMatrix } from '../../src/core/random.js';
import { scoresFrom } from '../../src/scores.js';
import { MAX_M } from '../../src/core/maskOptions.js';
import { gatherTiles } from '../../src/core/matrix.js';
import { runKernel } from '../../src/backends/registry.js';
import { recomputedUpperBound } from '../../src/reference/dualBound.js';

const GOLDEN = [
  [2, 8, 9, 9],
  [9, 1, 3, 9],
  [5, 6, 3, 9],
  [2, 4, 6, 9],
];

describe('golden 2:4 transposable case', () => {
  it('greedy keeps 57 with lower-index ties; exact keeps 61 under both fills, certified', async () => {
    const greedy = await transposableMask(GOLDEN, { n: 2, m: 4, method: 'greedy', backend: 'reference', certify: true });
    expect(greedy.objective).toBe(57);
    expect(greedy.upperBound).toBeCloseTo(61, 9);
    expect(greedy.gap).toBeCloseTo(4 / 61, 12);
    for (const fill of ['exact', 'atMost'] as const) {
      const exact = await transposableMask(GOLDEN, { n: 2, m: 4, fill, backend: 'reference' });
      expect(exact.objective).toBe(61);
      expect(exact.gap).toBe(0);
      const c = await certify(GOLDEN, exact.mask, { n: 2, m: 4, transposable: true, fill, backend: 'reference' });
      expect(c).toMatchObject({ valid: true, objective: 61, gap: 0 });
    }
  });
});

describe('certify', () => {
  it('certifies exact masks with gap 0 and others with gap ≥ 0 on Gaussian matrices', async () => {
    const w = scoresFrom(gaussianMatrix(64, 64, 3));
    for (const [n, m] of [
      [2, 4],
      [4, 8],
      [8, 16],
      [16, 32],
    ] as const) {
      for (const method of ['exact', 'greedy', 'tsenor'] as const) {
        const r = await transposableMask(w, { n, m, method, backend: 'reference' });
        const c = await certify(w, r.mask, { n, m, transposable: true, backend: 'reference' });
        expect(c.valid).toBe(true);
        expect(c.objective).toBeCloseTo(r.objective, 6);
        if (method === 'exact') expect(Math.abs(c.gap)).toBeLessThanOrEqual(1e-9);
        else expect(c.gap).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('certifies standard masks: the top-N mask has gap 0, any other valid mask a positive gap', async () => {
    const w = scoresFrom(gaussianMatrix(8, 16, 5));
    const best = await standardMask(w, { n: 2, m: 4 });
    expect(await certify(w, best.mask, { n: 2, m: 4 })).toMatchObject({ valid: true, gap: 0 });
    // Keep the first two of every group instead: valid, but not optimal on this seed.
    const firstTwo = Uint8Array.from({ length: 8 * 16 }, (_, k) => (k % 4 < 2 ? 1 : 0));
    const c = await certify(w, firstTwo, { n: 2, m: 4 });
    expect(c.valid).toBe(true);
    expect(c.gap).toBeGreaterThan(0);
  });

  it('locates violations: wrong counts per tile row and column, and non-0/1 values', async () => {
    const scores = scoresFrom(gaussianMatrix(8, 8, 9));
    const r = await transposableMask(scores, { n: 2, m: 4, backend: 'reference' });
    const broken = Uint8Array.from(r.mask);
    // Flip one kept entry of tile (1, 0) off: its row and its column each drop to 1.
    const k = broken.findIndex((x, i) => x === 1 && Math.floor(i / 8) >= 4 && i % 8 < 4);
    broken[k] = 0;
    const c = await certify(scores, broken, { n: 2, m: 4, transposable: true });
    expect(c.valid).toBe(false);
    expect(c.violationCount).toBe(2);
    expect(c.violations).toEqual(
      expect.arrayContaining([
        { kind: 'tileRow', tileRow: 1, tileCol: 0, row: Math.floor(k / 8), count: 1, expected: 'exactly 2' },
        { kind: 'tileColumn', tileRow: 1, tileCol: 0, col: k % 8, count: 1, expected: 'exactly 2' },
      ]),
    );
    // Under atMost the same mask is valid.
    expect((await certify(scores, broken, { n: 2, m: 4, transposable: true, fill: 'atMost' })).valid).toBe(true);
    broken[k] = 2;
    const c2 = await certify(scores, broken, { n: 2, m: 4, transposable: true });
    expect(c2.violations[0]).toEqual({ kind: 'value', row: Math.floor(k / 8), col: k % 8, value: 2 });
  });

  it('lists at most 10 violations but counts them all', async () => {
    const scores = scoresFrom(gaussianMatrix(16, 16, 1));
    const c = await certify(scores, new Uint8Array(256), { n: 2, m: 4, transposable: true });
    expect(c.violationCount).toBe(16 * 2 * 4);
    expect(c.violations).toHaveLength(10);
  });

  it('any valid mask scores at most the certified upper bound (random masks from random permutations)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), async (seed) => {
        const scores = scoresFrom(gaussianMatrix(8, 8, seed), 'raw');
        // A circulant valid 2:4 mask per tile: row i keeps columns (i + s) and (i + s + 1) mod 4.
        const mask = new Uint8Array(64);
        for (let i = 0; i < 8; i++) {
          for (let d = 0; d < 2; d++) {
            mask[i * 8 + ((i + seed + d) % 4)] = 1;
            mask[i * 8 + 4 + ((i + 2 * seed + d) % 4)] = 1;
          }
        }
        const c = await certify(scores, mask, { n: 2, m: 4, transposable: true, backend: 'reference' });
        expect(c.valid).toBe(true);
        expect(c.objective).toBeLessThanOrEqual(c.upperBound + 1e-9 * Math.abs(c.upperBound));
      }),
      { seed: 5, numRuns: 50 },
    );
  });

  it('rejects bad inputs with NmsparseError', async () => {
    const s = scoresFrom(gaussianMatrix(4, 4, 1));
    const cases = [
      () => certify(s, new Uint8Array(15), { n: 2, m: 4, transposable: true }),
      () => certify(s, { rows: 2, cols: 8, data: new Uint8Array(16) }, { n: 2, m: 4 }),
      () => certify(s, new Uint8Array(16), { n: 2, m: 3, transposable: true }),
      () => certify(s, new Uint8Array(16), { n: 0, m: 4 }),
      () => certify(s, new Uint8Array(16), { n: 2, m: 4, fill: 'some' as never }),
    ];
    for (const f of cases) await expect(f()).rejects.toBeInstanceOf(NmsparseError);
  });
});

describe('certify: objective, bound and shapes', () => {
  const SCORES = [
    [1, 2, 3, 4, 5, 6, 7, 8],
    [8, 7, 6, 5, 4, 3, 2, 1],
  ];

  it('counts only entries equal to 1 in the objective, and calls a mask holding a 2 invalid', async () => {
    // Row 0 keeps 4 and 8 (value 2 on the 8), row 1 keeps 8 and 4: the 2 is neither kept nor valid.
    const mask = [0, 0, 0, 1, 0, 0, 0, 2, 1, 0, 0, 0, 1, 0, 0, 0];
    const c = await certify(SCORES, mask, { n: 1, m: 4 });
    expect(c.objective).toBe(4 + 8 + 4);
    expect(c.valid).toBe(false);
    expect(c.violations[0]).toEqual({ kind: 'value', row: 0, col: 7, value: 2 });
  });

  it('a number[][] mask certifies exactly like its flat form, a plain number[] and a Matrix alike', async () => {
    const flat = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1];
    const nested = [flat.slice(0, 8), flat.slice(8)];
    const options = { n: 2, m: 4 };
    const expected = await certify(SCORES, Uint8Array.from(flat), options);
    expect(expected).toMatchObject({ valid: true, objective: 2 + 3 + 5 + 8 + 8 + 6 + 2 + 1 });
    expect(await certify(SCORES, nested, options)).toEqual(expected);
    expect(await certify(SCORES, flat, options)).toEqual(expected);
    expect(await certify(SCORES, { rows: 2, cols: 8, data: flat }, options)).toEqual(expected);
  });

  it('rejects a nested mask with the right rows and the wrong columns (E_SHAPE, both shapes named)', async () => {
    const mask = [
      [1, 1, 0, 0],
      [1, 1, 0, 0],
    ];
    const run = certify(SCORES, mask, { n: 2, m: 4 });
    await expect(run).rejects.toMatchObject({ code: 'E_SHAPE' });
    await expect(run).rejects.toThrow('mask is 2×4 but scores are 2×8');
    const tall = [...mask, ...mask].map((r) => [...r, ...r]);
    await expect(certify(SCORES, tall, { n: 2, m: 4 })).rejects.toThrow('mask is 4×8 but scores are 2×8');
  });

  it('names the argument at fault when a nested mask or the scores are ragged', async () => {
    const ragged = certify(SCORES, [[1, 0, 0, 0, 1, 0, 0, 0], [1, 0]], { n: 1, m: 4 });
    await expect(ragged).rejects.toMatchObject({ code: 'E_SHAPE' });
    await expect(ragged).rejects.toThrow(/^mask row 1 has 2 entries/);
    await expect(certify([[1, 2, 3, 4], [1]], [1, 0, 0, 0, 1, 0, 0, 0], { n: 1, m: 4 })).rejects.toThrow(/^scores row 1 has 1 entries/);
  });

  it('an array of typed-array rows certifies like the flat mask; every other form is checked and named', async () => {
    const flat = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1];
    const options = { n: 2, m: 4 };
    const expected = await certify(SCORES, flat, options);
    expect(await certify(SCORES, [Uint8Array.from(flat.slice(0, 8)), Float32Array.from(flat.slice(8))] as unknown as number[][], options)).toEqual(expected);
    const cases: Array<[unknown, string, RegExp]> = [
      [[flat.slice(0, 8), ['x', ...flat.slice(9, 16)]], 'E_DTYPE', /^mask\[1\]\[0\] is "x"/],
      [['x', ...flat.slice(1)], 'E_DTYPE', /^mask\[0\] is "x"; every value must be a number/],
      [[['x'], flat.slice(8)], 'E_DTYPE', /^mask\[0\]\[0\] is "x"/],
      [{ rows: 1, cols: 8, data: flat }, 'E_SHAPE', /^mask is 1×8 but scores are 2×8/],
      [{ rows: 2, cols: 4, data: flat.slice(8) }, 'E_SHAPE', /^mask is 2×4 but scores are 2×8/],
      [{ rows: 2, cols: 8, data: flat.slice(1) }, 'E_SHAPE', /^mask\.data has 15 values but rows×cols = 2×8/],
      [{ rows: 2, cols: 8, data: 'x' }, 'E_SHAPE', /^mask\.data is "x"/],
      [null, 'E_SHAPE', /^mask is null; pass a flat array/],
      [7, 'E_SHAPE', /^mask is 7; pass a flat array/],
    ];
    for (const [mask, code, message] of cases) {
      const run = certify(SCORES, mask as never, options);
      await expect(run).rejects.toMatchObject({ code });
      await expect(run).rejects.toThrow(message);
    }
  });

  it('refuses a transposable certificate beyond the exact method’s M limit (E_LIMIT) before any work', async () => {
    const m = MAX_M.exact * 2;
    const run = certify({ rows: m, cols: m, data: new Float32Array(m * m) }, new Uint8Array(m * m), { n: 1, m, transposable: true });
    await expect(run).rejects.toMatchObject({ code: 'E_LIMIT' });
    await expect(run).rejects.toThrow(/the exact method/);
  });

  it('rejects a flat mask of the wrong length (E_SHAPE, lengths named)', async () => {
    const run = certify(SCORES, new Uint8Array(15), { n: 2, m: 4 });
    await expect(run).rejects.toMatchObject({ code: 'E_SHAPE' });
    await expect(run).rejects.toThrow('mask has 15 values but scores are 2×8');
  });

  it('transposable on a 6×8 matrix with 2:4 is E_SHAPE (rows not a multiple of M); standard accepts it', async () => {
    const scores = scoresFrom(gaussianMatrix(6, 8, 2));
    const mask = new Uint8Array(48);
    await expect(certify(scores, mask, { n: 2, m: 4, transposable: true })).rejects.toMatchObject({ code: 'E_SHAPE' });
    const c = await certify(scores, mask, { n: 2, m: 4 });
    expect(c).toMatchObject({ valid: false, violationCount: 12, objective: 0 });
  });

  it('standard bound with negatives in the top N: top-N sum under exact, sum of positive parts under atMost', async () => {
    // Top 2 of the first group: 3 and −1; of the second: −0.5 and −2.
    const scores = [[-1, -2, 3, -4, -0.5, -2, -3, -4]];
    const exactBest = [0, 0, 0, 0, 0, 0, 0, 0];
    const exact = await certify(scores, exactBest, { n: 2, m: 4 });
    expect(exact.upperBound).toBe(3 - 1 - 0.5 - 2);
    const atMost = await certify(scores, exactBest, { n: 2, m: 4, fill: 'atMost' });
    expect(atMost).toMatchObject({ valid: true, objective: 0, upperBound: 3, gap: 1 });
  });

  it('transposable bound under exact and atMost on a tile with negatives: the optimum of each fill', async () => {
    // 1:2 tiles: exact must keep a permutation; atMost keeps only the positive 5.
    const scores = [
      [5, -1],
      [-1, -7],
    ];
    const exact = await certify(scores, [1, 0, 0, 1], { n: 1, m: 2, transposable: true, backend: 'reference' });
    expect(exact).toMatchObject({ valid: true, objective: -2, upperBound: -2, gap: 0 });
    const atMost = await certify(scores, [1, 0, 0, 0], { n: 1, m: 2, transposable: true, fill: 'atMost', backend: 'reference' });
    expect(atMost).toMatchObject({ valid: true, objective: 5, upperBound: 5, gap: 0 });
  });

  it('checks options before any work: missing options give E_OPTION, no pattern E_PATTERN, a fired signal E_ABORTED', async () => {
    await expect(certify(SCORES, new Uint8Array(16), undefined as never)).rejects.toMatchObject({ code: 'E_OPTION' });
    await expect(certify(SCORES, new Uint8Array(16), undefined as never)).rejects.toThrow(/^certify options must be an object/);
    await expect(certify(SCORES, new Uint8Array(16), { n: 1, m: 4, signal: 'x' as never })).rejects.toThrow(/^certify: signal/);
    await expect(certify(SCORES, new Uint8Array(16), {} as never)).rejects.toMatchObject({ code: 'E_PATTERN' });
    for (const transposable of [false, true]) {
      const scores = scoresFrom(gaussianMatrix(8, 8, 3));
      const run = certify(scores, new Uint8Array(64), { n: 2, m: 4, transposable, backend: 'reference', signal: AbortSignal.abort() });
      await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    }
  });
});

describe('certify on a matrix larger than one band chunk', () => {
  it('gives the bound of one whole-matrix batch, bit for bit (tile order kept across chunks)', async () => {
    // 2304×2048 at M = 8: two chunks of bands (4 Mi entries each at most), the second a partial one.
    const x = scoresFrom(gaussianMatrix(2304, 2048, 99), 'abs');
    const mask = (await transposableMask(x, { n: 4, m: 8, backend: 'wasm' })).mask;
    const c = await certify(x, mask, { n: 4, m: 8, transposable: true, backend: 'wasm' });
    const batch = { tiles: gatherTiles(x, 8), count: (2304 / 8) * (2048 / 8), m: 8 };
    const solution = (await runKernel('exactTiles', 'wasm', x.data.length, { batch, n: 4, fill: 'exact' }, {})).value;
    expect(c.upperBound).toBe(recomputedUpperBound(batch, 4, 'exact', solution));
    expect(c.valid).toBe(true);
    expect(c.gap).toBe(0);
  });
});
