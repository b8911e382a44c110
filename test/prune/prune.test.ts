import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NmsparseError } from '../../src/core/errors.js';
import { magnitudePrune24, wandaPrune24 } from '../../src/prune/baselines.js';
import type { PruneResult } from '../../src/prune/pruneOptions.js';
import { layerProblem, lossGradient } from '../../src/prune/problem.js';
import { linalgFor } from '../../src/prune/linalg.js';
import { prox24, reg24 } from '../../src/prune/prox.js';
import { pruneLayer24 } from '../../src/prune/pruneLayer24.js';
import { prox24Groups } from '../../src/reference/prox24.js';
import { ar1Layer } from '../support/ar1Layer.js';

/** The 2:4 problem of the 0.1.0 entry points (inputs in × samples), on the reference kernels. */
async function problem24(weights: { rows: number; cols: number; data: Float32Array }, inputs: { rows: number; cols: number; data: Float32Array }) {
  return layerProblem(weights, { inputs }, 'features-by-samples', linalgFor('reference'), { m: 4, transposable: false });
}

/** Exactly two ones per group of 4, and the weights vanish off the mask. */
function expectExactly24(r: PruneResult): void {
  for (let g = 0; g < r.mask.length; g += 4) {
    expect(r.mask[g]! + r.mask[g + 1]! + r.mask[g + 2]! + r.mask[g + 3]!).toBe(2);
  }
  r.weights.forEach((x, i) => {
    if (!r.mask[i]) expect(x).toBe(0);
    expect(Number.isFinite(x)).toBe(true);
  });
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(NmsparseError);
    expect((err as NmsparseError).code).toBe(code);
    return;
  }
  throw new Error(`expected NmsparseError ${code}`);
}

describe('pruneLayer24 on a correlated synthetic layer (AR(1) inputs, ρ = 0.9)', () => {
  it('beats Wanda and magnitude with the same update, and every result is exactly 2:4', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), async (seed) => {
        const { weights, inputs } = ar1Layer(16, 64, 256, 0.9, seed);
        for (const update of ['exact', 'gradient', 'none'] as const) {
          const prox = await pruneLayer24(weights, { inputs }, { update, backend: 'reference' });
          const wanda = await wandaPrune24(weights, { inputs }, { update });
          const magnitude = await magnitudePrune24(weights, { inputs }, { update });
          for (const r of [prox, wanda, magnitude]) expectExactly24(r);
          expect(prox.relativeLoss).toBeLessThan(wanda.relativeLoss);
          expect(prox.relativeLoss).toBeLessThan(magnitude.relativeLoss);
        }
      }),
      { seed: 42, numRuns: 3 },
    );
  }, 60_000);

  it('records a λ path that ends 2:4, and reports progress', async () => {
    const { weights, inputs } = ar1Layer(8, 32, 128, 0.9, 7);
    const seen: number[] = [];
    let last = { done: 0, total: 0 };
    const r = await pruneLayer24(weights, { inputs }, {
      backend: 'reference',
      onProgress: (p) => {
        seen.push(p.done);
        expect(p.total).toBeGreaterThanOrEqual(p.done);
        last = p;
      },
    });
    expect(last.done).toBe(last.total);
    expect(r.history.length).toBeGreaterThan(1);
    expect(r.history.at(-1)!.sparseFraction).toBe(1);
    for (let i = 1; i < r.history.length; i++) expect(r.history[i]!.lambda).toBeGreaterThan(r.history[i - 1]!.lambda);
    expect(seen).toEqual(r.history.map((_, i) => i + 1));
  });

  it("reports the loss of the prox iterate in its history (update 'none' returns that iterate)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), async (seed) => {
        const { weights, inputs } = ar1Layer(12, 32, 96, 0.9, seed);
        const r = await pruneLayer24(weights, { inputs }, { update: 'none', backend: 'reference' });
        const last = r.history.at(-1)!.loss;
        // The history's loss comes from the scaled f32 iterate's products; the result's from W − W₀ directly.
        expect(Math.abs(last - r.relativeLoss)).toBeLessThanOrEqual(1e-5 * r.relativeLoss);
      }),
      { seed: 42, numRuns: 10 },
    );
  });

  it('gives the same result from H = X·Xᵀ as from X', async () => {
    const { weights, inputs } = ar1Layer(8, 32, 128, 0.9, 3);
    const p = await problem24(weights, inputs);
    const hessian = { rows: 32, cols: 32, data: Float32Array.from(p.h) };
    const fromX = await wandaPrune24(weights, { inputs });
    const fromH = await wandaPrune24(weights, { hessian });
    expect(Array.from(fromH.mask)).toEqual(Array.from(fromX.mask));
    expect(fromH.relativeLoss).toBeCloseTo(fromX.relativeLoss, 5);
  });
});

describe('masked updates', () => {
  it('exact solves the least squares on the support (zero gradient there) and beats gradient and none', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), async (seed) => {
        const { weights, inputs } = ar1Layer(6, 16, 64, 0.5, seed);
        const exact = await magnitudePrune24(weights, { inputs }, { update: 'exact' });
        const gradient = await magnitudePrune24(weights, { inputs }, { update: 'gradient' });
        const none = await magnitudePrune24(weights, { inputs }, { update: 'none' });
        expect(exact.relativeLoss).toBeLessThanOrEqual(gradient.relativeLoss * (1 + 1e-6));
        expect(gradient.relativeLoss).toBeLessThanOrEqual(none.relativeLoss);
        const p = await problem24(weights, inputs);
        const grad = await lossGradient(p, exact.weights, linalgFor('reference'));
        let scale = 0;
        for (let i = 0; i < p.h.length; i++) scale = Math.max(scale, Math.abs(p.h[i]!));
        exact.mask.forEach((m, i) => m && expect(Math.abs(grad[i]!)).toBeLessThan(1e-3 * scale));
        none.mask.forEach((m, i) => m && expect(none.weights[i]).toBe(p.w0[i]));
      }),
      { seed: 42, numRuns: 10 },
    );
  });

  it('exact copes with a singular H (fewer samples than inputs) through the ridge', async () => {
    const { weights, inputs } = ar1Layer(4, 32, 8, 0.9, 11);
    const r = await pruneLayer24(weights, { inputs }, { update: 'exact', backend: 'reference' });
    expectExactly24(r);
    expect(Number.isFinite(r.relativeLoss)).toBe(true);
  });
});

describe('prox24 and reg24 (public wrappers)', () => {
  it('match the reference kernel for matrices and flat arrays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 8, maxLength: 8 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        async (values, lambda) => {
          const z = Float32Array.from(values);
          const expected = new Float32Array(8);
          prox24Groups(z, lambda, 0, 2, expected);
          const flat = await prox24(z, lambda, { backend: 'reference' });
          const matrix = await prox24({ rows: 2, cols: 4, data: z }, lambda, { backend: 'reference' });
          expect(Array.from(flat.values)).toEqual(Array.from(expected));
          expect(Array.from(matrix.values)).toEqual(Array.from(expected));
          expect(reg24({ rows: 2, cols: 4, data: z })).toBe(reg24(z));
        },
      ),
      { seed: 42, numRuns: 100 },
    );
  });

  it('rejects bad input with stable codes', async () => {
    await expectCode(prox24(new Float32Array(6), 1), 'E_SHAPE');
    await expectCode(prox24(new Float32Array(4), -1), 'E_OPTION');
    await expectCode(prox24(new Float32Array(4), Number.NaN), 'E_OPTION');
    await expectCode(prox24(Float32Array.from([1, Number.NaN, 0, 0]), 1), 'E_NONFINITE');
    await expectCode(prox24({ rows: 2, cols: 6, data: new Float32Array(12) }, 1), 'E_SHAPE');
    await expectCode(() => reg24(new Float32Array(3)), 'E_SHAPE');
  });
});

describe('input checks', () => {
  const { weights, inputs } = ar1Layer(4, 16, 32, 0.9, 1);
  it('rejects bad shapes, values and options', async () => {
    await expectCode(pruneLayer24({ rows: 4, cols: 6, data: new Float32Array(24) }, { inputs }), 'E_SHAPE');
    await expectCode(pruneLayer24(weights, { inputs: { rows: 12, cols: 32, data: new Float32Array(384) } }), 'E_SHAPE');
    await expectCode(pruneLayer24(weights, { hessian: { rows: 16, cols: 8, data: new Float32Array(128) } }), 'E_SHAPE');
    const nan = Float32Array.from(weights.data);
    nan[5] = Number.NaN;
    await expectCode(wandaPrune24({ rows: 4, cols: 16, data: nan }, { inputs }), 'E_NONFINITE');
    await expectCode(pruneLayer24(weights, {} as never), 'E_OPTION');
    await expectCode(pruneLayer24(weights, { inputs }, { update: 'best' as never }), 'E_OPTION');
    await expectCode(pruneLayer24(weights, { inputs }, { growth: 1 }), 'E_OPTION');
    await expectCode(pruneLayer24(weights, { inputs }, { tailGrowth: 0.5 }), 'E_OPTION');
    await expectCode(magnitudePrune24(weights, { inputs }, { updateIterations: 0 }), 'E_OPTION');
    await expectCode(pruneLayer24(weights, { inputs }, { maxLevels: 1, backend: 'reference' }), 'E_OPTION');
  });

  it('stops with E_ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectCode(pruneLayer24(weights, { inputs }, { signal: controller.signal, backend: 'reference' }), 'E_ABORTED');
    await expectCode(wandaPrune24(weights, { inputs }, { signal: controller.signal, update: 'gradient' }), 'E_ABORTED');
  });
});

