import type { Matrix } from '../../src/core/matrix.js';
import { gaussianMatrix, mulberry32 } from '../../src/core/random.js';

// The seeded generators the package ships (demo, bench) are the ones tests use too.
export { columnScaledMatrix, gaussianMatrix, gaussianSource, mulberry32 } from '../../src/core/random.js';

/** |N(0, 1)| entries: the magnitude scores of a Gaussian weight matrix. */
export function absGaussianMatrix(rows: number, cols: number, seed: number): Matrix {
  const x = gaussianMatrix(rows, cols, seed);
  return { rows, cols, data: x.data.map(Math.abs) };
}

/** Small integers 0 … levels−1: many exact ties, and zeros. */
export function tiedMatrix(rows: number, cols: number, seed: number, levels = 4): Matrix {
  const uniform = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = Math.floor(uniform() * levels);
  return { rows, cols, data };
}
