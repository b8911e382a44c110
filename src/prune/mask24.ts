import { standardRows } from '../reference/standard.js';

/** The 2:4 mask of the largest scores in every group of 4 (ties: lower index). */
export function topTwoMask(scores: Float32Array, rows: number, cols: number): Uint8Array {
  return standardRows(scores, rows, cols, 2, 4);
}

/**
 * The support of a 2:4-sparse W as an exact 2:4 mask: its nonzeros, topped up in groups with fewer
 * than two by the largest |W₀| among the zeros (ties: lower index).
 */
export function maskFromSparse(w: Float32Array, w0: Float32Array): Uint8Array {
  const scores = new Float32Array(w.length);
  // Nonzeros rank above every zero; among zeros |W₀| decides. Scaled into disjoint ranges.
  let top = 0;
  for (let i = 0; i < w0.length; i++) top = Math.max(top, Math.abs(w0[i]));
  for (let i = 0; i < w.length; i++) {
    scores[i] = w[i] !== 0 ? 2 : top === 0 ? 0 : Math.abs(w0[i]) / top;
  }
  return topTwoMask(scores, 1, w.length);
}

/** Fraction of groups of 4 with at most two nonzeros. */
export function sparseGroupFraction(w: Float32Array): number {
  let sparse = 0;
  const groups = w.length / 4;
  for (let g = 0; g < groups; g++) {
    let nonzero = 0;
    for (let i = 4 * g; i < 4 * g + 4; i++) if (w[i] !== 0) nonzero++;
    if (nonzero <= 2) sparse++;
  }
  return sparse / groups;
}
