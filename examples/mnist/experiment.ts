/**
 * The experiment behind docs/mnist.md: train (or load) the dense MLP, then for every N:M pattern, standard
 * and transposable, and every method, prune the hidden layers (pipeline.ts), measure test accuracy, and
 * measure it again after a short masked fine-tune. All randomness comes from `seed`: training uses it,
 * each fine-tune uses seed + 1 (the same sample order for every row), so a seed fixes the whole table.
 */
import type { LayerMethod } from '../../src/prune/pruneOptions.js';
import type { TransposableMethod } from '../../src/core/types.js';
import { head, type Split } from './data.js';
import { accuracy, cloneMlp, initMlp, train, type Mlp, type TrainSettings } from './mlp.js';
import { pruneHiddenLayers, type PruneSpec } from './pipeline.js';

export interface ExperimentConfig {
  /** Hidden units per hidden layer (two hidden layers). */
  hidden: number;
  seed: number;
  training: Omit<TrainSettings, 'seed'>;
  /** Training samples used to train (the first ones of the 8,000; all by default). */
  trainSamples: number;
  /** Calibration samples: the first ones of the training split. */
  calibrationSamples: number;
  /** N:M patterns, each run standard and transposable. */
  patterns: readonly (readonly [number, number])[];
  methods: readonly LayerMethod[];
  /** Methods also compared across the transposable mask solvers. */
  solverMethods: readonly LayerMethod[];
  fineTune: Omit<TrainSettings, 'seed'>;
}

export interface Row extends PruneSpec {
  pattern: string;
  sparsity: number;
  relativeLosses: number[];
  accuracy: number;
  fineTunedAccuracy: number;
  pruneSeconds: number;
  fineTuneSeconds: number;
}

export interface ExperimentResult {
  config: ExperimentConfig;
  denseAccuracy: number;
  /** Wall time of training, or null when the weights came from the cache. */
  trainSeconds: number | null;
  rows: Row[];
  seconds: number;
}

const SOLVERS: readonly TransposableMethod[] = ['exact', 'tsenor', 'greedy'];

/** Every pruning run of the table, in order: per pattern, standard then transposable, per method. */
export function specsOf(config: ExperimentConfig): PruneSpec[] {
  const specs: PruneSpec[] = [];
  for (const [n, m] of config.patterns) {
    for (const transposable of [false, true]) {
      for (const method of config.methods) {
        // prox is defined for standard 2:4 only.
        if (method === 'prox' && (transposable || n !== 2 || m !== 4)) continue;
        const solvers = transposable && config.solverMethods.includes(method) ? SOLVERS : (['exact'] as const);
        for (const maskSolver of solvers) specs.push({ n, m, transposable, method, maskSolver });
      }
    }
  }
  return specs;
}

/** Trains a fresh dense model per `config` (used when no cached weights exist). */
export async function trainDense(config: ExperimentConfig, split: Split): Promise<Mlp> {
  const model = initMlp([config.hidden, config.hidden], config.seed);
  await train(model, head(split.train, config.trainSamples), { ...config.training, seed: config.seed });
  return model;
}

/** Runs every spec of `config` on the dense `model`; `onRow` sees each row as it completes. */
export async function runExperiment(
  config: ExperimentConfig,
  split: Split,
  model: Mlp,
  trainSeconds: number | null,
  onRow: (row: Row, index: number, total: number) => void = () => {},
): Promise<ExperimentResult> {
  const started = performance.now();
  const calibration = head(split.train, config.calibrationSamples);
  const trainSet = head(split.train, config.trainSamples);
  const specs = specsOf(config);
  const rows: Row[] = [];
  for (const spec of specs) {
    const pruned = await pruneHiddenLayers(model, calibration, spec);
    const prunedAccuracy = await accuracy(pruned.model, split.test);
    const tuned = cloneMlp(pruned.model);
    const tuneStart = performance.now();
    await train(tuned, trainSet, { ...config.fineTune, seed: config.seed + 1 }, pruned.masks);
    const row: Row = {
      ...spec,
      pattern: `${spec.n}:${spec.m}`,
      sparsity: 1 - spec.n / spec.m,
      relativeLosses: pruned.relativeLosses,
      accuracy: prunedAccuracy,
      fineTunedAccuracy: await accuracy(tuned, split.test),
      pruneSeconds: pruned.seconds,
      fineTuneSeconds: (performance.now() - tuneStart) / 1000,
    };
    rows.push(row);
    onRow(row, rows.length, specs.length);
  }
  return {
    config,
    denseAccuracy: await accuracy(model, split.test),
    trainSeconds,
    rows,
    seconds: (performance.now() - started) / 1000,
  };
}
