/**
 * `npm run example:mnist`: trains (or loads from examples/mnist/.cache/) the MLP, prunes it with every
 * method and N:M pattern, standard and transposable, and writes docs/mnist.md with its plots in docs/img/.
 *
 *   npm run example:mnist                 # hidden layers of 256 units: the documented default, minutes on 2 cores
 *   npm run example:mnist -- --full       # hidden layers of 1024 units (docs/mnist-full.md; far longer)
 *   npm run example:mnist -- --retrain    # ignore the cached weights
 *
 * The configurations are in config.ts; experiment.ts says what runs, data.ts the split.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installNodeRuntime } from '../../src/backends/nodeThreads.js';
import { denseModel } from './cache.js';
import { loadSplit } from './data.js';
import { DEFAULT_CONFIG, FULL_CONFIG } from './config.js';
import { runExperiment } from './experiment.js';
import { accuracyPlot, layerLossPlot } from './plots.js';
import { renderReport } from './report.js';

// The example imports modules under src/ directly, not the package entry, so it installs Node's runtime
// (build/*.wasm read from disk, the worker_threads pool) as src/index.ts does.
installNodeRuntime();

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
  const { model, trainSeconds, path } = await denseModel(config, split, cacheFolder, args.includes('--retrain'));
  console.log(
    trainSeconds === null
      ? `dense weights from ${relative(root, path)}`
      : `trained in ${trainSeconds.toFixed(1)} s, saved to ${relative(root, path)}`,
  );

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
