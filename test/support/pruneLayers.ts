import { gaussianSource, mulberry32 } from '../../src/core/random.js';

/**
 * A seeded layer with calibration inputs in PyTorch's layout (samples × in): W Gaussian, inputs AR(1)
 * correlated along the features (x_{j+1} = ρ·x_j + √(1−ρ²)·ε), feature j then scaled by
 * exp(spread·sin(1.7·j)) — spread 0 gives unit-variance features, spread 3 a badly scaled layer whose
 * feature norms span e⁶ ≈ 400×.
 */
export function scaledLayer(rows: number, cols: number, samples: number, rho: number, spread: number, seed: number) {
  const normal = gaussianSource(mulberry32(seed));
  const weights = new Float32Array(rows * cols);
  for (let i = 0; i < weights.length; i++) weights[i] = normal();
  const inputs = new Float32Array(samples * cols);
  const noise = Math.sqrt(1 - rho * rho);
  for (let s = 0; s < samples; s++) {
    let prev = normal();
    for (let j = 0; j < cols; j++) {
      if (j > 0) prev = rho * prev + noise * normal();
      inputs[s * cols + j] = prev * Math.exp(spread * Math.sin(1.7 * j));
    }
  }
  return {
    weights: { rows, cols, data: weights },
    inputs: { rows: samples, cols, data: inputs },
  };
}

/** H = XᵀX in f64 by plain loops (X samples × in): the tests' independent oracle. */
export function plainHessian(x: { rows: number; cols: number; data: Float32Array }): Float64Array {
  const { rows, cols, data } = x;
  const h = new Float64Array(cols * cols);
  for (let s = 0; s < rows; s++) {
    for (let i = 0; i < cols; i++) {
      const xi = data[s * cols + i] as number;
      for (let j = 0; j < cols; j++) h[i * cols + j] = (h[i * cols + j] as number) + xi * (data[s * cols + j] as number);
    }
  }
  return h;
}
