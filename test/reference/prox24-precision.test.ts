import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prox24Groups } from '../../src/reference/prox24.js';
import { mulberry32 } from '../support/random.js';
import { faceRoot, withinHalfUlpF32 } from '../support/exactProx.js';

/**
 * The three-nonzero branch of the 2:4 prox is a 1-D root search (src/reference/prox24.ts); its
 * stopping rule decides the last bits. Checked here against the face's stationary point computed to
 * ~300 bits (test/support/exactProx.ts): every output of a group that keeps three values must be the
 * f32 nearest to it, within half an ulp. Small λ (μ = λ·max|z| ≤ 0.6) makes most groups keep three.
 */
describe('prox24: groups that keep three values are correctly rounded', () => {
  it('to half an f32 ulp of the high-precision minimiser (seeded uniform groups, λ in [0.01, 0.3])', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: Math.log(0.01), max: Math.log(0.3), noNaN: true }), (seed, logLambda) => {
        const lambda = Math.exp(logLambda);
        const uniform = mulberry32(seed);
        const groups = 4096;
        const z = Float32Array.from({ length: 4 * groups }, () => (uniform() * 2 - 1) * (uniform() < 0.5 ? 1 : 2));
        const out = new Float32Array(z.length);
        prox24Groups(z, lambda, 0, groups, out);
        for (let g = 0; g < groups; g++) {
          const kept = [0, 1, 2, 3].filter((i) => out[4 * g + i] !== 0);
          if (kept.length !== 3) continue;
          checked++;
          const a = kept.map((i) => Math.abs(z[4 * g + i] as number)) as [number, number, number];
          const w = kept.map((i) => Math.abs(out[4 * g + i] as number)) as [number, number, number];
          const root = faceRoot(a, lambda, w);
          for (const [k, i] of kept.entries()) {
            expect(withinHalfUlpF32(w[k]!, root[k]!), `group ${Array.from(z.subarray(4 * g, 4 * g + 4))}, λ ${lambda}, entry ${i}`).toBe(true);
          }
        }
      }),
      { seed: 2416, numRuns: 8 },
    );
    // The inputs did exercise the branch: thousands of groups kept exactly three values.
    expect(checked).toBeGreaterThan(5000);
  });
});

describe('exactProx oracle', () => {
  it('finds the root of a hand-solved face: a = (1, 1, 1), λ = 0.5 → w = (√3 − 1)·(1, 1, 1)', () => {
    // w + λw² = 1 ⇒ w = (−1 + √(1 + 2))/1 for λ = 0.5: w = √3 − 1.
    const root = faceRoot([1, 1, 1], 0.5, [0.7, 0.7, 0.7]);
    for (const r of root) expect(withinHalfUlpF32(Math.fround(Math.sqrt(3) - 1), r)).toBe(true);
    expect(withinHalfUlpF32(Math.fround(Math.sqrt(3) - 1) * (1 + 2 ** -23), root[0]!)).toBe(false);
  });
});
