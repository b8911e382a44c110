import { NmsparseError } from '../core/errors.js';
import { standardMask, transposableMask } from '../masks.js';
import { gaussianMatrix } from '../core/random.js';
import { scoresFrom } from '../scores.js';
import { choiceFlag, parseCommandArgs } from './args.js';
import { BACKEND_CHOICES, formatGap, print } from './shared.js';

const USAGE = 'nmsparse demo [--size 1024] [--seed 1] [--backend auto|reference|wasm|gpu] [--json]';
const PATTERNS: ReadonlyArray<readonly [number, number]> = [
  [2, 4],
  [4, 8],
  [8, 16],
  [16, 32],
];

interface DemoRow {
  pattern: string;
  method: string;
  objective: number;
  gap: number;
  seconds: number;
  backend: string;
}

/** Masks a seeded Gaussian matrix with every method and prints objective, certified gap and time. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    { size: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  const size = values.size === undefined ? 1024 : Number(values.size);
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
    throw new NmsparseError('E_OPTION', `--size must be a multiple of 32 (at least 32), got '${String(values.size)}'`);
  }
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed)) throw new NmsparseError('E_OPTION', `--seed must be an integer, got '${String(values.seed)}'`);
  const backend = choiceFlag(values, 'backend', BACKEND_CHOICES, 'auto');

  const scores = scoresFrom(gaussianMatrix(size, size, seed), 'abs');
  const rows: DemoRow[] = [];
  for (const [n, m] of PATTERNS) {
    const pattern = `${n}:${m}`;
    const standard = await standardMask(scores, { n, m, backend });
    rows.push({ pattern, method: 'standard', objective: standard.objective, gap: 0, seconds: standard.seconds, backend: standard.backend });
    let optimum = 0;
    for (const method of ['exact', 'tsenor', 'greedy'] as const) {
      const r = await transposableMask(scores, { n, m, method, backend });
      if (method === 'exact') optimum = r.upperBound as number;
      // The exact run's LP bound certifies the others without another solve.
      const gap = method === 'exact' ? (r.gap as number) : (optimum - r.objective) / optimum;
      rows.push({ pattern, method: `transposable ${method}`, objective: r.objective, gap, seconds: r.seconds, backend: r.backend });
    }
  }
  if (values.json) {
    print(JSON.stringify({ size, seed, rows }));
    return 0;
  }
  print(`nmsparse demo: |W| of a seeded ${size}×${size} Gaussian matrix (seed ${seed}), backend ${rows[0]?.backend}`);
  print('');
  const header = ['N:M', 'method', 'objective', 'certified gap', 'seconds'];
  const table = rows.map((r) => [r.pattern, r.method, r.objective.toFixed(2), formatGap(r.gap), r.seconds.toFixed(3)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  print(line(header));
  print(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) print(line(row));
  print('');
  print('standard: top N of every M in a row (its own optimum, gap 0 by construction).');
  print('transposable: N per row and column of every M×M tile; gap = (LP upper bound − objective)/bound.');
  return 0;
}
