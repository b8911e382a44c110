/** Small seeded generators for demos, benchmarks and tests (reproducible on every platform). */

/** mulberry32: a fast 32-bit PRNG; returns uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller from a uniform source. */
export function gaussianSource(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - uniform(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** A rows×cols matrix of i.i.d. N(0, 1) values from `seed`. */
export function gaussianMatrix(rows: number, cols: number, seed: number): { rows: number; cols: number; data: Float32Array } {
  const normal = gaussianSource(mulberry32(seed));
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = normal();
  return { rows, cols, data };
}

/**
 * A Gaussian matrix whose every column is multiplied by e^z, z ~ N(0, 1): the hard case for
 * entropy-regularised solvers, because small columns see an effectively tiny temperature.
 */
export function columnScaledMatrix(rows: number, cols: number, seed: number): { rows: number; cols: number; data: Float32Array } {
  const x = gaussianMatrix(rows, cols, seed);
  const normal = gaussianSource(mulberry32(seed ^ 0x9e3779b9));
  for (let j = 0; j < cols; j++) {
    const scale = Math.exp(normal());
    for (let i = 0; i < rows; i++) x.data[i * cols + j] = (x.data[i * cols + j]) * scale;
  }
  return x;
}
