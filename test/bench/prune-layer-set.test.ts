/**
 * The layers of the pruning quality bench (bench/prune-layer-set.ts): seeded synthetic layers and the
 * MNIST example's hidden layers are the same bytes run after run (trained from one seed or read back from
 * the example's cache); the second MNIST layer's inputs are the dense first layer's ReLU outputs (f64
 * oracle); the first one's always-zero inputs make H singular, and every pruning method still runs on it.
 * A tiny model (16 hidden units, one epoch on 500 digits, 64 calibration images) keeps this cheap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deadInputs, mnistLayers, syntheticLayer, type BenchLayer } from '../../bench/prune-layer-set.js';
import { denseModel } from '../../examples/mnist/cache.js';
import { head, loadSplit, PADDED, SIDE, type Split } from '../../examples/mnist/data.js';
import type { ExperimentConfig } from '../../examples/mnist/experiment.js';
import { certify } from '../../src/verify/certify.js';
import { pruneLayer } from '../../src/prune/pruneLayer.js';
import { LAYER_METHODS } from '../../src/prune/pruneOptions.js';

const TINY: ExperimentConfig = {
  hidden: 16,
  seed: 5,
  training: { epochs: 1, batchSize: 64, learningRate: 0.05, momentum: 0.9 },
  trainSamples: 500,
  calibrationSamples: 64,
  patterns: [[2, 4]],
  methods: ['magnitude'],
  solverMethods: [],
  fineTune: { epochs: 1, batchSize: 64, learningRate: 0.01, momentum: 0.9 },
};

const SHORT = { maxIterations: 5, growth: 3, iterationsPerLevel: 2 };

const bytes = (layers: BenchLayer[]): Uint8Array[] =>
  layers.flatMap((l) => [new Uint8Array(l.weights.data.buffer.slice(0)), new Uint8Array(l.inputs.data.buffer.slice(0))]);

let split: Split;
let cache: string;

beforeAll(() => {
  split = loadSplit();
  cache = mkdtempSync(join(tmpdir(), 'nmsparse-mnist-layers-'));
  return () => rmSync(cache, { recursive: true, force: true });
});

async function layersOf(config: ExperimentConfig, folder: string, retrain: boolean): Promise<{ layers: BenchLayer[]; trained: boolean }> {
  const { model, trainSeconds } = await denseModel(config, split, folder, retrain);
  return { layers: await mnistLayers(model, head(split.train, config.calibrationSamples)), trained: trainSeconds !== null };
}

describe('pruning bench layers', () => {
  it('builds each synthetic layer from its seed: same seed, same bytes', () => {
    for (const kind of ['block-correlated', 'AR(1)', 'outlier features'] as const) {
      const a = syntheticLayer(kind, 8, 32, 16, 3);
      expect(bytes([syntheticLayer(kind, 8, 32, 16, 3)])).toEqual(bytes([a]));
      expect(bytes([syntheticLayer(kind, 8, 32, 16, 4)])).not.toEqual(bytes([a]));
    }
  });

  it('builds the MNIST layers deterministically: retrained from the seed or read from the cache, the same bytes', async () => {
    const first = await layersOf(TINY, cache, true);
    const retrained = await layersOf(TINY, join(cache, 'other'), true);
    const cached = await layersOf(TINY, cache, false);
    expect([first.trained, retrained.trained, cached.trained]).toEqual([true, true, false]);
    expect(bytes(retrained.layers)).toEqual(bytes(first.layers));
    expect(bytes(cached.layers)).toEqual(bytes(first.layers));
    const otherSeed = await layersOf({ ...TINY, seed: 6 }, cache, true);
    expect(bytes(otherSeed.layers)).not.toEqual(bytes(first.layers));
    expect(first.layers.map((l) => [l.name, l.weights.rows, l.weights.cols, l.inputs.rows, l.inputs.cols])).toEqual([
      ['mnist layer 1', 16, 1024, 64, 1024],
      ['mnist layer 2', 16, 16, 64, 16],
    ]);
  });

  it("feeds layer 2 the dense layer 1's ReLU outputs on the calibration images", async () => {
    const { model } = await denseModel(TINY, split, cache);
    const [one, two] = await mnistLayers(model, head(split.train, TINY.calibrationSamples));
    const first = model[0] as (typeof model)[number];
    const x = (one as BenchLayer).inputs;
    expect(x.data).toEqual(head(split.train, TINY.calibrationSamples).images);
    const hidden = (two as BenchLayer).inputs;
    for (let s = 0; s < x.rows; s++) {
      for (let r = 0; r < first.rows; r++) {
        let z = first.bias[r] as number;
        for (let j = 0; j < x.cols; j++) z += (first.weights[r * first.cols + j] as number) * (x.data[s * x.cols + j] as number);
        expect(hidden.data[s * hidden.cols + r]).toBeCloseTo(Math.max(0, z), 4);
      }
    }
  });

  it('prunes layer 1, singular H from its always-zero inputs, with every method to a certified 2:4 mask', async () => {
    const { model } = await denseModel(TINY, split, cache);
    const [one] = await mnistLayers(model, head(split.train, TINY.calibrationSamples));
    const layer = one as BenchLayer;
    // At least the zero padding: 4 rows and 4 columns of the 32×32 image around the 28×28 digit.
    expect(deadInputs(layer.inputs)).toBeGreaterThanOrEqual(PADDED * PADDED - SIDE * SIDE);
    for (const method of LAYER_METHODS) {
      // Short ALPS and prox runs (fewer ADMM iterations, a coarser λ path): the singular H is the same.
      const result = await pruneLayer(layer.weights, { inputs: layer.inputs }, { n: 2, m: 4, method, ...SHORT });
      expect(Number.isFinite(result.relativeLoss), method).toBe(true);
      // ≥ 0 only: 64 samples span at most 64 directions, so a refit on 512 kept inputs per row can be exact.
      expect(result.relativeLoss, method).toBeGreaterThanOrEqual(0);
      expect(result.relativeLoss, method).toBeLessThan(1);
      expect(result.weights.every((w, i) => Number.isFinite(w) && (result.mask[i] === 1 || w === 0)), method).toBe(true);
      const scores = { rows: layer.weights.rows, cols: layer.weights.cols, data: layer.weights.data.map(Math.abs) };
      expect((await certify(scores, result.mask, { n: 2, m: 4 })).valid, method).toBe(true);
    }
  });
});
