/**
 * The MNIST example (examples/mnist/) in small: 64 hidden units, 3 epochs on 4,000 training digits,
 * 256 calibration images. Checks the split rule, that training reaches a floor, that every pruned layer
 * is certified to its pattern, that the masked fine-tune keeps the mask, that SparseGPT and ALPS beat
 * magnitude pruning at 75% sparsity, and that one seed gives one table.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { certify } from '../../src/verify/certify.js';
import { CLASSES, head, loadSplit, type Split } from '../../examples/mnist/data.js';
import { runExperiment, trainDense, type ExperimentConfig, type ExperimentResult } from '../../examples/mnist/experiment.js';
import { accuracy, cloneMlp, train, type Mlp } from '../../examples/mnist/mlp.js';
import { pruneHiddenLayers, type PruneSpec } from '../../examples/mnist/pipeline.js';
import { renderReport } from '../../examples/mnist/report.js';

const SMALL: ExperimentConfig = {
  hidden: 64,
  seed: 7,
  training: { epochs: 3, batchSize: 64, learningRate: 0.05, momentum: 0.9 },
  trainSamples: 4000,
  calibrationSamples: 256,
  patterns: [[2, 4], [1, 4]],
  methods: ['magnitude', 'sparsegpt'],
  solverMethods: ['magnitude'],
  fineTune: { epochs: 1, batchSize: 64, learningRate: 0.01, momentum: 0.9 },
};

let split: Split;
let dense: Mlp;

beforeAll(async () => {
  split = loadSplit();
  dense = await trainDense(SMALL, split);
});

describe('mnist example', () => {
  it('splits the 10,000 digits 8,000 / 2,000, every class 4:1', () => {
    expect([split.train.count, split.test.count]).toEqual([8000, 2000]);
    for (let d = 0; d < CLASSES; d++) {
      const train = split.train.labels.filter((l) => l === d).length;
      const test = split.test.labels.filter((l) => l === d).length;
      expect(Math.abs(train - 4 * test)).toBeLessThanOrEqual(4);
    }
    // Round-robin order: any ten consecutive leading samples are the ten classes.
    expect([...head(split.train, CLASSES).labels]).toEqual(Array.from({ length: CLASSES }, (_, d) => d));
  });

  it('trains the small dense model above 88% test accuracy', async () => {
    expect(await accuracy(dense, split.test)).toBeGreaterThan(0.88);
  });

  it('prunes every hidden layer to its certified pattern; the masked fine-tune keeps the mask', async () => {
    const calibration = head(split.train, SMALL.calibrationSamples);
    const specs: PruneSpec[] = [
      { n: 2, m: 4, transposable: false, method: 'sparsegpt', maskSolver: 'exact' },
      { n: 1, m: 4, transposable: true, method: 'wanda', maskSolver: 'tsenor' },
    ];
    for (const spec of specs) {
      const pruned = await pruneHiddenLayers(dense, calibration, spec);
      expect(pruned.masks.map((m) => m === null)).toEqual([false, false, true]);
      const tuned = cloneMlp(pruned.model);
      await train(tuned, head(split.train, 500), { ...SMALL.fineTune, seed: 3 }, pruned.masks);
      for (const [l, mask] of pruned.masks.entries()) {
        const before = pruned.model[l] as Mlp[number];
        const after = tuned[l] as Mlp[number];
        if (mask === null) continue;
        const scores = { rows: before.rows, cols: before.cols, data: before.weights.map(Math.abs) };
        const check = await certify(scores, mask, { n: spec.n, m: spec.m, transposable: spec.transposable });
        expect(check.valid).toBe(true);
        let moved = 0;
        for (let i = 0; i < mask.length; i++) {
          if (mask[i] === 0) {
            expect(before.weights[i]).toBe(0);
            expect(after.weights[i]).toBe(0);
          } else if (after.weights[i] !== before.weights[i]) {
            moved++;
          }
        }
        expect(moved).toBeGreaterThan(0); // the fine-tune did train the kept weights
      }
    }
  });

  it('SparseGPT and ALPS keep more accuracy than magnitude pruning at 1:4 (75%)', async () => {
    const calibration = head(split.train, SMALL.calibrationSamples);
    const at75 = async (method: PruneSpec['method']): Promise<number> =>
      accuracy((await pruneHiddenLayers(dense, calibration, { n: 1, m: 4, transposable: false, method, maskSolver: 'exact' })).model, split.test);
    const magnitude = await at75('magnitude');
    expect(await at75('sparsegpt')).toBeGreaterThanOrEqual(magnitude);
    expect(await at75('alps')).toBeGreaterThanOrEqual(magnitude);
  });

  it('gives the same table for the same seed', async () => {
    const withoutTimes = (r: ExperimentResult): ExperimentResult => ({
      ...r,
      seconds: 0,
      rows: r.rows.map((row) => ({ ...row, pruneSeconds: 0, fineTuneSeconds: 0 })),
    });
    const report = async (): Promise<string> => {
      const result = await runExperiment(SMALL, split, await trainDense(SMALL, split), null);
      return renderReport(withoutTimes(result), { command: 'test', machine: 'test', plots: { accuracy: 'a.svg', layerLoss: 'b.svg' } });
    };
    const first = await report();
    expect(first).toMatch(/\| 1:4 \| 75% \|/);
    expect(await report()).toBe(first);
  });
});
