// The mean certified gap of tsenor and greedy on seeded Gaussian matrices (the table in docs/benchmarks.md; issue 2's
// done-criterion), plus TSENOR's hard column-scaled case.
import { transposableMask } from '../src/masks.js';
import { MATRIX_SEED, PATTERNS } from './mask-suite.js';
import { scoreMatrix, type MatrixKind } from './random.js';
import { percent } from './table.js';
import type { BackendChoice, TransposableMethod } from '../src/core/types.js';

export interface GapRow {
  matrix: MatrixKind;
  n: number;
  m: number;
  method: TransposableMethod;
  /** (UB − objective)/UB over the whole matrix: the tiles' gaps averaged with weights UB_tile/UB. */
  gap: number;
  backend: string;
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
      rows.push({ matrix, n, m, method, gap: result.gap as number, backend: result.backend });
    }
  }
  return rows;
}

/** One line per matrix and pattern, one column per method. */
export function formatGapTable(rows: readonly GapRow[], size: number): string {
  const lines = [
    `| matrix ${size}² | N:M | ${METHODS.map((m) => `${m} gap`).join(' | ')} |`,
    `|---|---|${METHODS.map(() => '---|').join('')}`,
  ];
  const keyOf = (r: GapRow): string => `${r.matrix} | ${r.n}:${r.m}`;
  for (const key of new Set(rows.map(keyOf))) {
    const gaps = METHODS.map((method) => percent(rows.find((r) => keyOf(r) === key && r.method === method)?.gap));
    lines.push(`| ${key} | ${gaps.join(' | ')} |`);
  }
  return lines.join('\n');
}
