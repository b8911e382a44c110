import { gaussianSource, mulberry32 } from '../../src/core/random.js';

/**
 * A seeded synthetic layer: W (rows × cols) Gaussian, X (cols × samples) with AR(1) correlated features
 * x_{j+1} = ρ·x_j + √(1−ρ²)·ε (strong neighbour correlation inside groups of 4, where magnitude and Wanda
 * pruning ignore it).
 */
export function ar1Layer(rows: number, cols: number, samples: number, rho: number, seed: number) {
  const normal = gaussianSource(mulberry32(seed));
  const weights = new Float32Array(rows * cols);
  for (let i = 0; i < weights.length; i++) weights[i] = normal();
  const inputs = new Float32Array(cols * samples);
  const scale = Math.sqrt(1 - rho * rho);
  for (let s = 0; s < samples; s++) {
    let prev = normal();
    for (let j = 0; j < cols; j++) {
      if (j > 0) prev = rho * prev + scale * normal();
      inputs[j * samples + s] = prev;
    }
  }
  return {
    weights: { rows, cols, data: weights },
    inputs: { rows: cols, cols: samples, data: inputs },
  };
}
