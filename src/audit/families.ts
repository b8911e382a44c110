/**
 * Score-matrix families that break mask solvers (docs/verification.md, "Case families"), generated
 * deterministically from a seed. Every value depends only on (family, seed, its row, its column): a
 * smaller shape from the same seed is the top-left corner of the larger one, so shrinking the shape
 * keeps the tiles that remain. All values are finite f32; every family but `signed` is non-negative.
 */
import { NmsparseError } from '../core/errors.js';
import { describeValue, type Matrix } from '../core/matrix.js';

export const FAMILIES = [
  'gaussian',
  'heavyTailed',
  'outlierRows',
  'outlierColumns',
  'ties',
  'constantTiles',
  'zeroTiles',
  'dynamicRange',
  'signed',
  'lowRank',
] as const;

export type Family = (typeof FAMILIES)[number];

/** What a case is generated from: the family, the shape in rows and columns, and the seed. */
export interface CaseSpec {
  family: Family;
  rows: number;
  cols: number;
  seed: number;
}

/** A generated case: its spec and the scores. */
export interface ScoreCase extends CaseSpec {
  data: Float32Array;
}

/** A uniform number in [0, 1) from the seed and a position (a 32-bit integer hash, murmur3's finaliser). */
function uniformAt(seed: number, a: number, b: number, salt: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(a + 1, 0xcc9e2d51) ^ Math.imul(b + 1, 0x1b873593) ^ salt;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** A standard normal value at a position (Box–Muller over two hashed uniforms). */
function normalAt(seed: number, a: number, b: number, salt: number): number {
  const u = 1 - uniformAt(seed, a, b, salt); // (0, 1]: the log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniformAt(seed, a, b, salt ^ 0x5bd1e995));
}

/** Rows or columns that are outliers: about one in six, scaled by 1e3…1e4. */
function outlierScale(seed: number, index: number, salt: number): number {
  return uniformAt(seed, index, -1, salt) < 1 / 6 ? 1e3 * (1 + 9 * uniformAt(seed, index, -2, salt)) : 1;
}

/** The value of family `family` at (i, j) in M×M tile coordinates of tile size m. */
function valueAt(family: Family, seed: number, i: number, j: number, m: number): number {
  const gauss = () => Math.abs(normalAt(seed, i, j, 1));
  const tileKey = Math.floor(i / m) * 65537 + Math.floor(j / m);
  switch (family) {
    case 'gaussian':
      return gauss();
    case 'heavyTailed': // |Cauchy|, capped so that sums stay far from f32's range
      return Math.min(1e12, Math.abs(Math.tan(Math.PI * (uniformAt(seed, i, j, 2) - 0.5))));
    case 'outlierRows':
      return gauss() * outlierScale(seed, i, 3);
    case 'outlierColumns':
      return gauss() * outlierScale(seed, j, 4);
    case 'ties': // three levels: exact ties and duplicated values everywhere
      return Math.floor(uniformAt(seed, i, j, 5) * 3);
    case 'constantTiles': // half the tiles constant (one in four of those zero), the rest Gaussian
      if (uniformAt(seed, tileKey, 0, 6) < 0.5) {
        const c = uniformAt(seed, tileKey, 1, 6);
        return c < 0.25 ? 0 : Math.round(c * 8) / 4;
      }
      return gauss();
    case 'zeroTiles': // half the tiles all zero, and scattered zeros in the rest
      if (uniformAt(seed, tileKey, 0, 7) < 0.5 || uniformAt(seed, i, j, 7) < 0.2) return 0;
      return gauss();
    case 'dynamicRange': // magnitudes 1e-30 … 1e30 side by side
      return gauss() * 10 ** (Math.floor(uniformAt(seed, i, j, 8) * 61) - 30);
    case 'signed': // raw signed scores: the exact fill must keep negative values
      return normalAt(seed, i, j, 9);
    case 'lowRank': // a rank-2 non-negative matrix: many near-ties along rows and columns
      return (
        Math.abs(normalAt(seed, i, -3, 10) * normalAt(seed, -3, j, 10)) +
        Math.abs(normalAt(seed, i, -4, 11) * normalAt(seed, -4, j, 11))
      );
  }
}

/** The scores of a case (f32, row-major); `m` sets where the tile-wise families put their tiles. */
export function generateScores(spec: CaseSpec, m: number): Matrix {
  if (!(FAMILIES as readonly string[]).includes(spec.family)) {
    throw new NmsparseError('E_OPTION', `unknown case family ${describeValue(spec.family)}; use one of ${FAMILIES.join(', ')}`);
  }
  const { rows, cols } = spec;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = valueAt(spec.family, spec.seed | 0, i, j, m);
  }
  return { rows, cols, data };
}
