import type { Matrix } from '../../src/matrix.js';

/** A seeded PRNG (mulberry32): returns a function giving uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform source (Box–Muller). */
export function gaussianSource(uniform: () => number): () => number {
  return () => {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    return r * Math.cos(2 * Math.PI * uniform());
  };
}

function matrixFrom(rows: number, cols: number, value: (row: number, col: number) => number): Matrix {
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = value(r, c);
  return { rows, cols, data };
}

/** i.i.d. N(0, 1) entries. */
export function gaussianMatrix(rows: number, cols: number, seed: number): Matrix {
  const normal = gaussianSource(mulberry32(seed));
  return matrixFrom(rows, cols, () => normal());
}

/** |N(0, 1)| entries: the magnitude scores of a Gaussian weight matrix. */
export function absGaussianMatrix(rows: number, cols: number, seed: number): Matrix {
  const normal = gaussianSource(mulberry32(seed));
  return matrixFrom(rows, cols, () => Math.abs(normal()));
}

/** N(0, 1) entries with every column multiplied by e^z, z ~ N(0, 1): columns of very different scale. */
export function columnScaledMatrix(rows: number, cols: number, seed: number): Matrix {
  const normal = gaussianSource(mulberry32(seed));
  const scale = Array.from({ length: cols }, () => Math.exp(normal()));
  return matrixFrom(rows, cols, (_, c) => normal() * (scale[c] as number));
}

/** Small integers 0 … levels−1: many exact ties (and zeros). */
export function tiedMatrix(rows: number, cols: number, seed: number, levels = 4): Matrix {
  const uniform = mulberry32(seed);
  return matrixFrom(rows, cols, () => Math.floor(uniform() * levels));
}
