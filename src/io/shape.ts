/**
 * The number of elements of `shape`, or Infinity once it exceeds `limit`: a file's own size bounds
 * every honest shape, so absurd shapes stop early instead of overflowing the safe-integer range.
 */
export function boundedElementCount(shape: readonly number[], limit: number): number {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > limit) return Infinity;
  }
  return count;
}
