import fc from 'fast-check';
import type { TileBatch } from '../../src/core/types.js';

/** N:M patterns the transposable solvers are tested on. */
export const PATTERNS: ReadonlyArray<readonly [number, number]> = [
  [1, 4],
  [2, 4],
  [3, 4],
  [1, 2],
  [2, 5],
  [4, 8],
  [3, 8],
  [8, 16],
  [5, 16],
  [16, 32],
];

/** How tile values are drawn: kinds that stress ties, zeros, signs and dynamic range. */
const valueKinds = {
  gaussian: fc.double({ min: -3, max: 3, noNaN: true }),
  ties: fc.integer({ min: 0, max: 3 }),
  zeros: fc.constantFrom(0, 0, 0, 1),
  huge: fc
    .tuple(fc.integer({ min: -30, max: 30 }), fc.double({ min: 1, max: 9.99, noNaN: true }), fc.boolean())
    .map(([e, x, neg]) => (neg ? -1 : 1) * x * 10 ** e),
  positive: fc.double({ min: 0, max: 1, noNaN: true }),
} as const;

export type ValueKind = keyof typeof valueKinds;

/** A random batch of tiles with its pattern: `count` tiles of M×M values of one kind (constant tiles too). */
export function tileBatchArb(
  kinds: readonly ValueKind[] = Object.keys(valueKinds) as ValueKind[],
  maxCount = 4,
): fc.Arbitrary<{ batch: TileBatch; n: number }> {
  return fc
    .record({
      pattern: fc.constantFrom(...PATTERNS),
      count: fc.integer({ min: 1, max: maxCount }),
      kind: fc.constantFrom(...kinds),
      constant: fc.boolean(),
    })
    .chain(({ pattern: [n, m], count, kind, constant }) =>
      (constant
        ? valueKinds[kind].map((v) => new Array<number>(count * m * m).fill(v))
        : fc.array(valueKinds[kind], { minLength: count * m * m, maxLength: count * m * m })
      ).map((values) => ({ batch: { tiles: Float32Array.from(values), count, m }, n })),
    );
}

/** Tile t of a batch mask (M a multiple of 4) as hex digits, 4 entries per digit, row-major: compact golden masks. */
export function tileMaskHex(mask: Uint8Array, t: number, m: number): string {
  let s = '';
  for (let k = t * m * m; k < (t + 1) * m * m; k += 4) {
    s += ((mask[k] as number) * 8 + (mask[k + 1] as number) * 4 + (mask[k + 2] as number) * 2 + (mask[k + 3] as number)).toString(16);
  }
  return s;
}
