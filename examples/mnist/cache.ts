/**
 * The trained dense weights, cached as .safetensors (layer{l}.weight out × in and layer{l}.bias, F32) in a
 * git-ignored folder. The file name carries every training setting and the metadata repeats them, so a
 * changed setting trains a new model instead of loading a stale one.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensorsFile, writeSafetensorsFile } from '../../src/io/safetensors.js';
import type { Split } from './data.js';
import { trainDense, type ExperimentConfig } from './experiment.js';
import type { Mlp } from './mlp.js';

/** The cache file of the model `config` trains. */
export function cachePath(folder: string, config: ExperimentConfig): string {
  const t = config.training;
  const key = [
    `h${config.hidden}`, `seed${config.seed}`, `n${config.trainSamples}`, `e${t.epochs}`,
    `b${t.batchSize}`, `lr${t.learningRate}`, `mom${t.momentum}`,
  ].join('-');
  return join(folder, `mlp-${key}.safetensors`);
}

export async function saveMlp(path: string, model: Mlp, config: ExperimentConfig): Promise<void> {
  await writeSafetensorsFile(
    path,
    model.flatMap((d, l) => [
      { name: `layer${l}.weight`, dtype: 'F32' as const, shape: [d.rows, d.cols], data: d.weights },
      { name: `layer${l}.bias`, dtype: 'F32' as const, shape: [d.rows], data: d.bias },
    ]),
    { metadata: { hidden: String(config.hidden), seed: String(config.seed), training: JSON.stringify(config.training) } },
  );
}

/** The cached model, or null when there is none. */
export async function loadMlp(path: string, layers: number): Promise<Mlp | null> {
  if (!existsSync(path)) return null;
  const reader = await openSafetensorsFile(path);
  try {
    const model: Mlp = [];
    for (let l = 0; l < layers; l++) {
      const w = reader.tensor(`layer${l}.weight`);
      const [rows, cols] = w.shape as [number, number];
      model.push({ rows, cols, weights: await reader.readFloats(w), bias: await reader.readFloats(reader.tensor(`layer${l}.bias`)) });
    }
    return model;
  } finally {
    await reader.close();
  }
}

/**
 * The dense model of `config`: the cached weights in `folder` when there are some (and `retrain` is not
 * set), else a freshly trained model, then saved there. `trainSeconds` is null for cached weights.
 */
export async function denseModel(
  config: ExperimentConfig,
  split: Split,
  folder: string,
  retrain = false,
): Promise<{ model: Mlp; trainSeconds: number | null; path: string }> {
  const path = cachePath(folder, config);
  const cached = retrain ? null : await loadMlp(path, 3);
  if (cached) return { model: cached, trainSeconds: null, path };
  const started = performance.now();
  const model = await trainDense(config, split);
  const trainSeconds = (performance.now() - started) / 1000;
  mkdirSync(folder, { recursive: true });
  await saveMlp(path, model, config);
  return { model, trainSeconds, path };
}
