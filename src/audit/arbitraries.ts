/**
 * fast-check arbitraries over the case families (families.ts). A case is drawn as (family, shape, seed)
 * and its scores generated from that, so fast-check shrinks toward the first family, fewer tiles and
 * seed 0; because the families are prefix-stable, a shrunk shape keeps the top-left tiles it had.
 */
import fc from 'fast-check';
import { NmsparseError } from '../core/errors.js';
import { describeValue } from '../core/matrix.js';
import { FAMILIES, generateScores, type CaseSpec, type Family, type ScoreCase } from './families.js';

export interface CaseShapeOptions {
  /** Tile size M: columns are multiples of M, and rows too for transposable cases. */
  m: number;
  /** Transposable cases have M×M tiles; standard ones have any number of rows. Default false. */
  transposable?: boolean;
  /** The families to draw from (default: all of them). */
  families?: readonly Family[];
  /** The largest number of tile rows (standard: rows are up to this many times M). Default 3. */
  maxTileRows?: number;
  /** The largest number of tile columns. Default 4. */
  maxTileCols?: number;
}

function boundedCount(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 64) {
    throw new NmsparseError('E_OPTION', `${name} must be an integer from 1 to 64, got ${describeValue(value)}`);
  }
  return value;
}

function checkedFamilies(families: readonly Family[] | undefined): readonly Family[] {
  if (families === undefined) return FAMILIES;
  if (!Array.isArray(families) || families.length === 0) {
    throw new NmsparseError('E_OPTION', `families must be a non-empty array of ${FAMILIES.join(', ')}`);
  }
  for (const f of families) {
    if (!(FAMILIES as readonly unknown[]).includes(f)) {
      throw new NmsparseError('E_OPTION', `unknown case family ${describeValue(f)}; use one of ${FAMILIES.join(', ')}`);
    }
  }
  return families;
}

/** Case specs: a family, a shape of 1…maxTileRows × 1…maxTileCols tiles, and a seed. */
export function caseSpecArbitrary(options: CaseShapeOptions): fc.Arbitrary<CaseSpec> {
  const { m } = options;
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 2 || m > 256) {
    throw new NmsparseError('E_PATTERN', `m must be an integer from 2 to 256, got ${describeValue(m)}`);
  }
  const maxTileRows = boundedCount(options.maxTileRows, 3, 'maxTileRows');
  const maxTileCols = boundedCount(options.maxTileCols, 4, 'maxTileCols');
  const families = checkedFamilies(options.families);
  const rowUnit = options.transposable ? m : 1;
  const maxRows = options.transposable ? maxTileRows : maxTileRows * m;
  return fc
    .record({
      family: fc.constantFrom(...families),
      rowUnits: fc.integer({ min: 1, max: maxRows }),
      tileCols: fc.integer({ min: 1, max: maxTileCols }),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    })
    .map(({ family, rowUnits, tileCols, seed }) => ({ family, rows: rowUnits * rowUnit, cols: tileCols * m, seed }));
}

/** Score cases: a spec and its generated f32 scores. */
export function scoreCaseArbitrary(options: CaseShapeOptions): fc.Arbitrary<ScoreCase> {
  return caseSpecArbitrary(options).map((spec) => ({ ...spec, data: generateScores(spec, options.m).data }));
}
