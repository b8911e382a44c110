/**
 * A multilayer perceptron 1024 → H → … → 10 with ReLU between layers and softmax cross-entropy, trained
 * by minibatch SGD with momentum. Every matrix product (forward, the weight gradients, the backpropagated
 * gradients) is the registry's `gemm` kernel on the wasm backend (WebAssembly SIMD, f32); the rest is
 * plain loops. Weights are stored out × in (PyTorch's layout), so a layer's weights and its inputs
 * (samples × in) go to pruneLayer as they are.
 *
 * Determinism: initialisation (He normal) and the per-epoch sample order come from one seeded generator;
 * the wasm GEMM gives the same bits for the same operands, so a seed fixes the trained weights.
 * Masked training (`masks`): the gradient and the momentum of a masked-out weight are zero, so a weight
 * that is zero where its mask is 0 stays exactly zero.
 */
import { gaussianSource, mulberry32 } from '../../src/core/random.js';
import { linalgFor } from '../../src/prune/linalg.js';
import { CLASSES, FEATURES, type Digits } from './data.js';

const linalg = linalgFor('wasm');

/** One linear layer: y = W·x + b with W rows (out) × cols (in), row-major. */
export interface Dense {
  rows: number;
  cols: number;
  weights: Float32Array;
  bias: Float32Array;
}

export type Mlp = Dense[];

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  seed: number;
}

/** A fresh network 1024 → hidden[0] → … → 10, He-normal weights from `seed`, zero biases. */
export function initMlp(hidden: readonly number[], seed: number): Mlp {
  const gaussian = gaussianSource(mulberry32(seed));
  const sizes = [FEATURES, ...hidden, CLASSES];
  return sizes.slice(1).map((rows, l) => {
    const cols = sizes[l] as number;
    const scale = Math.sqrt(2 / cols);
    return { rows, cols, weights: Float32Array.from({ length: rows * cols }, () => gaussian() * scale), bias: new Float32Array(rows) };
  });
}

export function cloneMlp(model: Mlp): Mlp {
  return model.map((d) => ({ ...d, weights: d.weights.slice(), bias: d.bias.slice() }));
}

/** The layer's pre-activations for `count` inputs (count × cols): X·Wᵀ + b. */
export async function linear(layer: Dense, x: Float32Array, count: number): Promise<Float32Array> {
  const z = new Float32Array(count * layer.rows);
  for (let s = 0; s < count; s++) z.set(layer.bias, s * layer.rows);
  return linalg.gemm(x, layer.weights, z, { m: count, k: layer.cols, n: layer.rows, transB: true, beta: 1 });
}

export function relu(z: Float32Array): Float32Array {
  return z.map((v) => (v > 0 ? v : 0));
}

/** Every layer's pre-activations for a batch (the input is layer 0's input). */
async function forward(model: Mlp, x: Float32Array, count: number): Promise<Float32Array[]> {
  const z: Float32Array[] = [];
  let a = x;
  for (const [l, layer] of model.entries()) {
    z.push(await linear(layer, a, count));
    if (l < model.length - 1) a = relu(z[l] as Float32Array);
  }
  return z;
}

/** Class scores of `digits`, samples × 10, in chunks of 500 samples. */
export async function logits(model: Mlp, digits: Digits): Promise<Float32Array> {
  const out = new Float32Array(digits.count * CLASSES);
  for (let start = 0; start < digits.count; start += 500) {
    const count = Math.min(500, digits.count - start);
    const z = await forward(model, digits.images.subarray(start * FEATURES, (start + count) * FEATURES), count);
    out.set(z[z.length - 1] as Float32Array, start * CLASSES);
  }
  return out;
}

/** The fraction of `digits` whose largest class score (ties: the lower class) is the label. */
export async function accuracy(model: Mlp, digits: Digits): Promise<number> {
  const z = await logits(model, digits);
  let correct = 0;
  for (let s = 0; s < digits.count; s++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if ((z[s * CLASSES + c] as number) > (z[s * CLASSES + best] as number)) best = c;
    if (best === digits.labels[s]) correct++;
  }
  return correct / digits.count;
}

/** (softmax(z) − onehot(label)) / count: the gradient of the mean cross-entropy in the logits. */
function outputGradient(z: Float32Array, labels: Uint8Array, count: number): Float32Array {
  const g = new Float32Array(z.length);
  for (let s = 0; s < count; s++) {
    const row = z.subarray(s * CLASSES, (s + 1) * CLASSES);
    const max = Math.max(...row);
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) sum += Math.exp((row[c] as number) - max);
    for (let c = 0; c < CLASSES; c++) {
      g[s * CLASSES + c] = (Math.exp((row[c] as number) - max) / sum - (c === labels[s] ? 1 : 0)) / count;
    }
  }
  return g;
}

/** A permutation of 0..n−1 (Fisher–Yates) from `random`. */
function shuffled(n: number, random: () => number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * Trains `model` in place on `digits`. With `masks` (one per layer, 1 = trainable, or null for a dense
 * layer) the masked-out weights get no update, so they keep their values (zero after pruning).
 */
export async function train(model: Mlp, digits: Digits, settings: TrainSettings, masks?: readonly (Uint8Array | null)[]): Promise<void> {
  const random = mulberry32(settings.seed);
  const velocity = model.map((d) => ({ weights: new Float32Array(d.weights.length), bias: new Float32Array(d.bias.length) }));
  const batch = new Float32Array(settings.batchSize * FEATURES);
  const labels = new Uint8Array(settings.batchSize);
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    const order = shuffled(digits.count, random);
    for (let start = 0; start < digits.count; start += settings.batchSize) {
      const count = Math.min(settings.batchSize, digits.count - start);
      for (let i = 0; i < count; i++) {
        const s = order[start + i] as number;
        batch.set(digits.images.subarray(s * FEATURES, (s + 1) * FEATURES), i * FEATURES);
        labels[i] = digits.labels[s] as number;
      }
      await step(model, batch.subarray(0, count * FEATURES), labels, count, settings, velocity, masks);
    }
  }
}

/** One SGD step with momentum on a batch: backpropagation through the layers, then the update. */
async function step(
  model: Mlp,
  x: Float32Array,
  labels: Uint8Array,
  count: number,
  settings: TrainSettings,
  velocity: { weights: Float32Array; bias: Float32Array }[],
  masks: readonly (Uint8Array | null)[] | undefined,
): Promise<void> {
  const z = await forward(model, x, count);
  let delta = outputGradient(z[z.length - 1] as Float32Array, labels, count);
  for (let l = model.length - 1; l >= 0; l--) {
    const layer = model[l] as Dense;
    const input = l === 0 ? x : relu(z[l - 1] as Float32Array);
    const gradW = await linalg.gemm(delta, input, new Float32Array(layer.weights.length), {
      m: layer.rows, k: count, n: layer.cols, transA: true,
    });
    const gradB = new Float32Array(layer.rows);
    for (let s = 0; s < count; s++) for (let r = 0; r < layer.rows; r++) gradB[r] += delta[s * layer.rows + r] as number;
    if (l > 0) {
      const back = await linalg.gemm(delta, layer.weights, new Float32Array(count * layer.cols), { m: count, k: layer.rows, n: layer.cols });
      const below = z[l - 1] as Float32Array;
      delta = back.map((v, i) => ((below[i] as number) > 0 ? v : 0));
    }
    const mask = masks?.[l] ?? null;
    const v = velocity[l] as { weights: Float32Array; bias: Float32Array };
    for (let i = 0; i < layer.weights.length; i++) {
      if (mask && mask[i] === 0) continue;
      v.weights[i] = settings.momentum * (v.weights[i] as number) - settings.learningRate * (gradW[i] as number);
      layer.weights[i] += v.weights[i] as number;
    }
    for (let r = 0; r < layer.rows; r++) {
      v.bias[r] = settings.momentum * (v.bias[r] as number) - settings.learningRate * (gradB[r] as number);
      layer.bias[r] += v.bias[r] as number;
    }
  }
}
