/**
 * `npm run example:mnist`: trains (or loads from examples/mnist/.cache/) the MLP, prunes it with every
 * method and N:M pattern, standard and transposable, and writes docs/mnist.md with its plots in docs/img/.
 *
 *   npm run example:mnist                 # hidden layers of 256 units: the documented default, minutes on 2 cores
 *   npm run example:mnist -- --full       # hidden layers of 1024 units (docs/mnist-full.md; far longer)
 *   npm run example:mnist -- --retrain    # ignore the cached weights
 *
 * The configurations are below; examples/mnist/experiment.ts says what runs, data.ts the split.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installNodeRuntime } from '../../src/backends/nodeThreads.js';
import { cachePath, loadMlp, saveMlp } from './cache.js';
import { loadSplit } from './data.js';
import { runExperiment, trainDense, type ExperimentConfig } from './experiment.js';
import { accuracyPlot, layerLossPlot } from './plots.js';
import { renderReport } from './report.js';

// The example imports modules under src/ directly, not the package entry, so it installs Node's runtime
// (build/*.wasm read from disk, the worker_threads pool) as src/index.ts does.
installNodeRuntime();

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

async function main(args: readonly string[]): Promise<void> {
  const unknown = args.filter((a) => a !== '--full' && a !== '--retrain');
  if (unknown.length > 0) throw new Error(`unknown argument ${JSON.stringify(unknown[0])}; use --full and/or --retrain`);
  const full = args.includes('--full');
  const config = full ? FULL_CONFIG : DEFAULT_CONFIG;
  // build/examples/examples/mnist/main.js → the repository root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const cacheFolder = join(root, 'examples', 'mnist', '.cache');
  const docs = join(root, 'docs');
  const name = full ? 'mnist-full' : 'mnist';

  const split = loadSplit();
  const path = cachePath(cacheFolder, config);
  let model = args.includes('--retrain') ? null : await loadMlp(path, 3);
  let trainSeconds: number | null = null;
  if (model) {
    console.log(`dense weights from ${relative(root, path)}`);
  } else {
    const started = performance.now();
    model = await trainDense(config, split);
    trainSeconds = (performance.now() - started) / 1000;
    mkdirSync(cacheFolder, { recursive: true });
    await saveMlp(path, model, config);
    console.log(`trained in ${trainSeconds.toFixed(1)} s, saved to ${relative(root, path)}`);
  }

  const result = await runExperiment(config, split, model, trainSeconds, (row, index, total) => {
    const kind = row.transposable ? `T/${row.maskSolver}` : 'std';
    console.log(
      `[${index}/${total}] ${row.pattern} ${kind} ${row.method}: ${(100 * row.accuracy).toFixed(2)}% → ${(100 * row.fineTunedAccuracy).toFixed(2)}% ` +
        `(${row.pruneSeconds.toFixed(1)} s + ${row.fineTuneSeconds.toFixed(1)} s)`,
    );
  });

  const plots = { accuracy: `img/${name}-accuracy.svg`, layerLoss: `img/${name}-layer-loss.svg` };
  mkdirSync(join(docs, 'img'), { recursive: true });
  writeFileSync(join(docs, plots.accuracy), await accuracyPlot(result));
  writeFileSync(join(docs, plots.layerLoss), await layerLossPlot(result));
  const cpu = cpus();
  const machine = `${cpu.length} CPU cores (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`;
  const command = `npm run example:mnist${full ? ' -- --full' : ''}`;
  writeFileSync(join(docs, `${name}.md`), renderReport(result, { command, machine, plots }));
  console.log(`dense ${(100 * result.denseAccuracy).toFixed(2)}%; wrote docs/${name}.md and ${plots.accuracy}, ${plots.layerLoss} in ${result.seconds.toFixed(0)} s`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
