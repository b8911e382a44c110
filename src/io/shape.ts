/**
 * Element counts of shapes read from files, in BigInt: a shape's product may pass 2^53 long before
 * anything compares it with the file's size, and a count must never round (a wrong count would
 * misreport how many bytes a truncated file lacks). Dimensions are each at most 2^53 − 1.
 */
import { displayText } from '../core/text.js';

/** Beyond this no file can hold the tensor; stopping here keeps absurd shapes (10^6 dims) cheap. */
export const COUNT_CAP = 1n << 64n;

/** The exact number of elements of `shape`, or COUNT_CAP when it is at least that. */
export function elementCount(shape: readonly number[]): bigint {
  if (shape.includes(0)) return 0n;
  let count = 1n;
  for (const d of shape) {
    count *= BigInt(d);
    if (count >= COUNT_CAP) return COUNT_CAP;
  }
  return count;
}

/** The dimensions joined by ", " for a message, cut when a shape is absurdly long. */
export function dimsText(shape: readonly number[]): string {
  return displayText(shape.join(', '), 100);
}
