/**
 * The example's configurations: the documented default (two hidden layers of 256 units) and `--full`
 * (1024 units). Kept apart from main.ts so that other code (the pruning bench's MNIST layers) can use the
 * same trained model without running the example.
 */
import type { ExperimentConfig } from './experiment.js';

const PATTERNS = [[2, 4], [4, 8], [8, 16], [16, 32], [1, 4], [2, 8], [4, 16], [8, 32]] as const;

/** The default run: every method and pattern on hidden layers of 256 units. */
export const DEFAULT_CONFIG: ExperimentConfig = {
  hidden: 256,
  seed: 1,
  training: { epochs: 8, batchSize: 64, learningRate: 0.05, momentum: 0.9 },
  trainSamples: 8000,
  calibrationSamples: 1024,
  patterns: PATTERNS,
  methods: ['magnitude', 'wanda', 'sparsegpt', 'alps', 'prox'],
  solverMethods: ['wanda'],
  fineTune: { epochs: 2, batchSize: 64, learningRate: 0.01, momentum: 0.9 },
};

/**
 * `--full`: the same at 1024 hidden units. Measured on 2 cores: an epoch ~4 s (256 units: ~0.6 s),
 * magnitude, Wanda and SparseGPT ~1 s per pruned model, ALPS 19–35 s, so about 20 minutes in all, most
 * of it the fine-tunes and ALPS.
 */
export const FULL_CONFIG: ExperimentConfig = { ...DEFAULT_CONFIG, hidden: 1024 };
