/**
 * Validity oracle for the verifier's tests: every violation of a mask, in the order the verifier lists
 * them (bad values in row-major order, then per group, or per tile its row i and column i), computed
 * the slow and obvious way — one line of the mask at a time, copied out, its 1s counted with filter.
 */
import type { Violation } from '../../src/verify/validity.js';
import type { Fill } from '../../src/core/types.js';

function valueViolations(mask: ArrayLike<number>, cols: number): Violation[] {
  const out: Violation[] = [];
  Array.from(mask).forEach((value, k) => {
    if (![0, 1].includes(value)) out.push({ kind: 'value', row: Math.floor(k / cols), col: k % cols, value });
  });
  return out;
}

const ones = (line: number[]) => line.filter((x) => x === 1).length;
const ok = (count: number, n: number, fill: Fill) => (fill === 'exact' ? count === n : count <= n);
const expected = (n: number, fill: Fill) => (fill === 'exact' ? `exactly ${n}` : `at most ${n}`);

export function standardViolations(mask: ArrayLike<number>, rows: number, cols: number, n: number, m: number, fill: Fill): Violation[] {
  const out = valueViolations(mask, cols);
  const values = Array.from(mask);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols / m; g++) {
      const count = ones(values.slice(r * cols + g * m, r * cols + g * m + m));
      if (!ok(count, n, fill)) out.push({ kind: 'group', row: r, col: g * m, count, expected: expected(n, fill) });
    }
  }
  return out;
}

export function transposableViolations(mask: ArrayLike<number>, rows: number, cols: number, n: number, m: number, fill: Fill): Violation[] {
  const out = valueViolations(mask, cols);
  const values = Array.from(mask);
  const at = (r: number, c: number) => values[r * cols + c] as number;
  const range = Array.from({ length: m }, (_, k) => k);
  for (let tileRow = 0; tileRow < rows / m; tileRow++) {
    for (let tileCol = 0; tileCol < cols / m; tileCol++) {
      for (const i of range) {
        const row = tileRow * m + i;
        const col = tileCol * m + i;
        const rowCount = ones(range.map((j) => at(row, tileCol * m + j)));
        const colCount = ones(range.map((j) => at(tileRow * m + j, col)));
        if (!ok(rowCount, n, fill)) out.push({ kind: 'tileRow', tileRow, tileCol, row, count: rowCount, expected: expected(n, fill) });
        if (!ok(colCount, n, fill)) out.push({ kind: 'tileColumn', tileRow, tileCol, col, count: colCount, expected: expected(n, fill) });
      }
    }
  }
  return out;
}
