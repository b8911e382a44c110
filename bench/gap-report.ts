// The mean certified gap of tsenor and greedy on seeded Gaussian matrices (the README's table; issue 2's
// done-criterion), plus TSENOR's hard column-scaled case.
import type { BackendChoice, TransposableMethod } from '../src/backends/backend.js';
import { transposableMask } from '../src/masks.js';
import { MATRIX_SEED, PATTERNS } from './mask-suite.js';
import { scoreMatrix, type MatrixKind } from './random.js';

export interface GapRow {
  matrix: MatrixKind;
  n: number;
  m: number;
  method: TransposableMethod;
  /** (UB − objective)/UB over the whole matrix: the tiles' gaps averaged with weights UB_tile/UB. */
  gap: number;
  seconds: number;
}

const METHODS: readonly TransposableMethod[] = ['greedy', 'tsenor'];

export async function measureGaps(size: number, backend: BackendChoice): Promise<GapRow[]> {
  const shapes: Array<[MatrixKind, number, number]> = [
    ...PATTERNS.map(([n, m]): [MatrixKind, number, number] => ['gaussian', n, m]),
    ['column-scaled', 8, 16],
  ];
  const rows: GapRow[] = [];
  for (const [matrix, n, m] of shapes) {
    const scores = scoreMatrix(size, size, matrix, MATRIX_SEED);
    for (const method of METHODS) {
      const result = await transposableMask(scores, { n, m, method, backend, certify: true });
      rows.push({ matrix, n, m, method, gap: result.gap as number, seconds: result.seconds });
    }
  }
  return rows;
}

/** One line per matrix and pattern, one column per method (gap in %, and the solver's seconds). */
export function formatGapTable(rows: readonly GapRow[], size: number): string {
  const lines = [
    `| matrix ${size}² | N:M | ${METHODS.map((m) => `${m} gap`).join(' | ')} | ${METHODS.map((m) => `${m} s`).join(' | ')} |`,
    `|---|---|${METHODS.map(() => '---|').join('')}${METHODS.map(() => '---|').join('')}`,
  ];
  const keys = [...new Set(rows.map((r) => `${r.matrix} ${r.n}:${r.m}`))];
  for (const key of keys) {
    const group = rows.filter((r) => `${r.matrix} ${r.n}:${r.m}` === key);
    const cell = (method: TransposableMethod, pick: (r: GapRow) => string): string => {
      const row = group.find((r) => r.method === method);
      return row ? pick(row) : '–';
    };
    const [matrix, pattern] = key.split(' ');
    const gaps = METHODS.map((m) => cell(m, (r) => `${(r.gap * 100).toFixed(3)}%`));
    const times = METHODS.map((m) => cell(m, (r) => r.seconds.toFixed(2)));
    lines.push(`| ${matrix} | ${pattern} | ${gaps.join(' | ')} | ${times.join(' | ')} |`);
  }
  return lines.join('\n');
}
