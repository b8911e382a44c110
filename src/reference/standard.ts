/**
 * Standard N:M: in every group of M consecutive entries of a row keep the N largest scores.
 * Ties break toward the lower index, so the mask is unique and identical in every backend.
 */
export function standardRows(
  scores: Float32Array,
  rows: number,
  cols: number,
  n: number,
  m: number,
  rowStart = 0,
  rowEnd = rows,
  out: Uint8Array = new Uint8Array(rows * cols),
): Uint8Array {
  for (let r = rowStart; r < rowEnd; r++) {
    for (let g = r * cols; g < (r + 1) * cols; g += m) {
      // Entry j is kept when fewer than N entries of the group beat it: larger, or equal and earlier.
      for (let j = 0; j < m; j++) {
        const x = scores[g + j];
        let beaten = 0;
        for (let k = 0; k < m; k++) {
          const y = scores[g + k];
          if (y > x || (y === x && k < j)) beaten++;
        }
        out[g + j] = beaten < n ? 1 : 0;
      }
    }
  }
  return out;
}
