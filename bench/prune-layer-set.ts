/**
 * The layers of the pruning quality bench (prune-layers.ts): weights out × in and inputs samples × in,
 * both row-major f32, as pruneLayer takes them.
 *
 * Synthetic (seeded by `seed`; the same seed gives the same bytes):
 * - block-correlated: 16-feature blocks share a latent factor (x = 0.9·z_block + 0.44·ε);
 * - AR(1): x_{j+1} = 0.9·x_j + √0.19·ε along the features;
 * - outlier features: AR(1) with 1% of the features (j mod 100 = 37) scaled ×30 (LLM activation outliers).
 *
 * A trained layer (examples/mnist): the example's dense MLP 1024 → 256 → 256 → 10 and its calibration
 * images (the first ones of the training split), taken from the example's own modules:
 * - mnist layer 1: the 256×1024 first layer on the 1024 padded pixels. Its inputs have always-zero
 *   columns (the 2-pixel zero padding and blank border pixels), so H = XᵀX is singular there;
 * - mnist layer 2: the 256×256 second layer on the ReLU outputs of the dense first layer (bias
 *   included), as a layer-by-layer pipeline feeds it.
 */
import { gaussianSource, mulberry32 } from '../src/core/random.js';
import type { Digits } from '../examples/mnist/data.js';
import { linear, relu, type Mlp } from '../examples/mnist/mlp.js';

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface BenchLayer {
  name: string;
  weights: Matrix;
  inputs: Matrix;
}

export const SYNTHETIC_KINDS = ['block-correlated', 'AR(1)', 'outlier features'] as const;
export type SyntheticKind = (typeof SYNTHETIC_KINDS)[number];

/** A seeded rows × cols layer of N(0, 1) weights with `samples` inputs of the given kind. */
export function syntheticLayer(kind: SyntheticKind, rows: number, cols: number, samples: number, seed: number): BenchLayer {
  const normal = gaussianSource(mulberry32(seed));
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = normal();
  const x = new Float32Array(samples * cols);
  const outlier = (j: number): number => (kind === 'outlier features' && j % 100 === 37 ? 30 : 1);
  for (let s = 0; s < samples; s++) {
    let prev = normal();
    let latent = 0;
    for (let j = 0; j < cols; j++) {
      if (kind === 'block-correlated') {
        if (j % 16 === 0) latent = normal();
        x[s * cols + j] = 0.9 * latent + 0.44 * normal();
      } else {
        if (j > 0) prev = 0.9 * prev + Math.sqrt(0.19) * normal();
        x[s * cols + j] = prev * outlier(j);
      }
    }
  }
  return { name: kind, weights: { rows, cols, data: w }, inputs: { rows: samples, cols, data: x } };
}

/** The two hidden layers of the dense `model` with their inputs on `calibration`'s images. */
export async function mnistLayers(model: Mlp, calibration: Digits): Promise<BenchLayer[]> {
  const [first, second] = model;
  if (!first || !second) throw new Error('mnist layers: the model needs two hidden layers');
  const samples = calibration.count;
  const images = calibration.images.slice(0, samples * first.cols);
  const hidden = relu(await linear(first, images, samples));
  return [
    { name: 'mnist layer 1', weights: { rows: first.rows, cols: first.cols, data: first.weights.slice() }, inputs: { rows: samples, cols: first.cols, data: images } },
    { name: 'mnist layer 2', weights: { rows: second.rows, cols: second.cols, data: second.weights.slice() }, inputs: { rows: samples, cols: second.cols, data: hidden } },
  ];
}

/** The input columns that are zero in every sample: H_jj = 0, so H is singular there. */
export function deadInputs(inputs: Matrix): number {
  let dead = 0;
  for (let j = 0; j < inputs.cols; j++) {
    let zero = true;
    for (let s = 0; s < inputs.rows && zero; s++) zero = inputs.data[s * inputs.cols + j] === 0;
    if (zero) dead++;
  }
  return dead;
}
