// Mask values follow the one rule of core/maskValue.ts: exactly 1 keeps, exactly 0 drops, else a violation.
import { isKept, isMaskValue } from '../core/maskValue.js';
import type { Fill } from '../core/types.js';

/** One way a mask breaks its N:M rule, located in the full matrix (0-based indices). */
export type Violation =
  | { kind: 'value'; row: number; col: number; value: number }
  | { kind: 'group'; row: number; col: number; count: number; expected: string }
  | { kind: 'tileRow'; tileRow: number; tileCol: number; row: number; count: number; expected: string }
  | { kind: 'tileColumn'; tileRow: number; tileCol: number; col: number; count: number; expected: string };

export interface ValidityReport {
  valid: boolean;
  /** How many violations there are in all. */
  violationCount: number;
  /** The first few violations, in row-major order of where they start. */
  violations: Violation[];
}

/** How many violations are listed in full. */
export const MAX_LISTED_VIOLATIONS = 10;

class ViolationLog {
  count = 0;
  readonly listed: Violation[] = [];
  add(v: Violation): void {
    if (this.count++ < MAX_LISTED_VIOLATIONS) this.listed.push(v);
  }
  report(): ValidityReport {
    return { valid: this.count === 0, violationCount: this.count, violations: this.listed };
  }
}

function countOk(count: number, n: number, fill: Fill): boolean {
  return fill === 'exact' ? count === n : count <= n;
}

function expectedText(n: number, fill: Fill): string {
  return fill === 'exact' ? `exactly ${n}` : `at most ${n}`;
}

function logBadValues(mask: ArrayLike<number>, cols: number, log: ViolationLog): void {
  for (let k = 0; k < mask.length; k++) {
    const x = mask[k];
    if (!isMaskValue(x)) log.add({ kind: 'value', row: Math.floor(k / cols), col: k % cols, value: x });
  }
}

/** Checks a standard N:M mask: values by the mask rule, and N kept in every group of M of each row. */
export function checkStandard(
  mask: ArrayLike<number>,
  rows: number,
  cols: number,
  n: number,
  m: number,
  fill: Fill = 'exact',
): ValidityReport {
  const log = new ViolationLog();
  logBadValues(mask, cols, log);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c += m) {
      let count = 0;
      for (let j = 0; j < m; j++) count += isKept(mask[r * cols + c + j]) ? 1 : 0;
      if (!countOk(count, n, fill)) log.add({ kind: 'group', row: r, col: c, count, expected: expectedText(n, fill) });
    }
  }
  return log.report();
}

/**
 * Checks a transposable N:M mask: values by the mask rule, and N per row and column of every M×M tile.
 * One row-major pass per band of M rows counts each tile row and each column (memory order, no strided
 * reads); violations are then logged tile by tile, line i's row before its column.
 */
export function checkTransposable(
  mask: ArrayLike<number>,
  rows: number,
  cols: number,
  n: number,
  m: number,
  fill: Fill,
): ValidityReport {
  const log = new ViolationLog();
  logBadValues(mask, cols, log);
  const expected = expectedText(n, fill);
  const tiles = cols / m;
  // rowCounts[tc·m + i]: kept entries of row i of tile tc in this band; colCounts[c]: of column c.
  const rowCounts = new Int32Array(cols);
  const colCounts = new Int32Array(cols);
  for (let tr = 0; tr < rows / m; tr++) {
    rowCounts.fill(0);
    colCounts.fill(0);
    for (let i = 0; i < m; i++) {
      const row = (tr * m + i) * cols;
      for (let tc = 0; tc < tiles; tc++) {
        let count = 0;
        for (let j = 0; j < m; j++) {
          const kept = isKept(mask[row + tc * m + j]) ? 1 : 0;
          count += kept;
          colCounts[tc * m + j] += kept;
        }
        rowCounts[tc * m + i] = count;
      }
    }
    for (let tc = 0; tc < tiles; tc++) {
      for (let i = 0; i < m; i++) {
        const rowCount = rowCounts[tc * m + i];
        const colCount = colCounts[tc * m + i];
        if (!countOk(rowCount, n, fill)) {
          log.add({ kind: 'tileRow', tileRow: tr, tileCol: tc, row: tr * m + i, count: rowCount, expected });
        }
        if (!countOk(colCount, n, fill)) {
          log.add({ kind: 'tileColumn', tileRow: tr, tileCol: tc, col: tc * m + i, count: colCount, expected });
        }
      }
    }
  }
  return log.report();
}
