/**
 * Feature scaling (diagonal preconditioning) of a layer problem: W' = W·D, X' = D⁻¹X with D = diag(√H_jj),
 * so every input column has unit norm and H' = D⁻¹HD⁻¹ unit diagonal. The loss of W' in the scaled
 * problem equals the loss of W = W'·D⁻¹ in the original one. First-order methods (the prox's FISTA,
 * ALPS's ADMM with its ρI penalty and magnitude projection) then treat every feature alike, however
 * differently the inputs are scaled.
 */
import { once, type LayerProblem } from './problem.js';

export interface FeatureScaling {
  problem: LayerProblem;
  /** W = W'·D⁻¹ (a new array). */
  unscale(w: Float32Array): Float32Array;
}

export function featureScaling(p: LayerProblem): FeatureScaling {
  const n = p.cols;
  // A dead feature (H_jj = 0) keeps scale 1.
  const scale = Float64Array.from({ length: n }, (_, j) => Math.sqrt(p.h[j * n + j]) || 1);
  const h = p.h.map((x, i) => x / ((scale[Math.floor(i / n)]) * (scale[i % n])));
  const problem: LayerProblem = {
    rows: p.rows,
    cols: n,
    w0: p.w0.map((x, i) => x * (scale[i % n])),
    h,
    hF32: new Float32Array(h),
    product: once(async () => (await p.product()).map((x, i) => x / (scale[i % n]))),
    reference: p.reference,
  };
  return { problem, unscale: (w) => w.map((x, i) => x / (scale[i % n])) };
}
