// `nmsparse demo`: every method and common pattern on a seeded Gaussian matrix, with certified gaps.
import { gaussianMatrix } from '../../core/random.js';
import type { BackendChoice } from '../../index.js';
import type { CliOutput, Command } from '../command.js';
import { integerFlag } from '../flags.js';
import { withInterrupt } from '../interrupt.js';
import { BACKEND_FLAG, JSON_FLAG } from '../sharedFlags.js';
import { formatGap, formatTable, left, right } from '../table.js';

const PATTERNS: ReadonlyArray<readonly [number, number]> = [
  [2, 4],
  [4, 8],
  [8, 16],
  [16, 32],
];
/** 4096² f32 scores are 64 MiB and the run takes seconds to a minute; larger demos belong to `npm run bench`. */
const MAX_SIZE = 4096;

const SIZE_FLAG = integerFlag({ name: 'size', min: 32, max: MAX_SIZE, multipleOf: 32, default: 1024, help: 'rows and columns of the matrix' });
const SEED_FLAG = integerFlag({ name: 'seed', min: 0, max: 2 ** 32 - 1, default: 1, help: 'seed of the Gaussian matrix' });

interface DemoRow {
  pattern: string;
  method: string;
  objective: number;
  gap: number;
  seconds: number;
  backend: string;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'mask a seeded Gaussian matrix with every method: objective, certified gap, time',
  usage: ['[--size 1024] [--seed 1] [--backend auto|reference|wasm|gpu] [--json]'],
  operands: [],
  inputs: [],
  flags: [SIZE_FLAG, SEED_FLAG, BACKEND_FLAG, JSON_FLAG],
  examples: ['nmsparse demo', 'nmsparse demo --size 256 --backend reference --json'],
  async run(args, out) {
    const size = args.get(SIZE_FLAG);
    const seed = args.get(SEED_FLAG);
    const backend = args.get(BACKEND_FLAG);
    return withInterrupt(async (signal) => {
      const rows = await demoRows(size, seed, backend, signal);
      print(rows, size, seed, args.get(JSON_FLAG), out);
      return 0;
    }, out.stderr);
  },
};

async function demoRows(size: number, seed: number, backend: BackendChoice, signal: AbortSignal): Promise<DemoRow[]> {
  const { scoresFrom, standardMask, transposableMask } = await import('../../index.js');
  const scores = scoresFrom(gaussianMatrix(size, size, seed), 'abs');
  const rows: DemoRow[] = [];
  for (const [n, m] of PATTERNS) {
    const pattern = `${n}:${m}`;
    const standard = await standardMask(scores, { n, m, backend, signal });
    rows.push({ pattern, method: 'standard', objective: standard.objective, gap: 0, seconds: standard.seconds, backend: standard.backend });
    let optimum = 0;
    for (const method of ['exact', 'tsenor', 'greedy'] as const) {
      const r = await transposableMask(scores, { n, m, method, backend, signal });
      if (method === 'exact') optimum = r.upperBound as number;
      // The exact run's LP bound certifies the others without another solve.
      const gap = method === 'exact' ? (r.gap as number) : (optimum - r.objective) / optimum;
      rows.push({ pattern, method: `transposable ${method}`, objective: r.objective, gap, seconds: r.seconds, backend: r.backend });
    }
  }
  return rows;
}

function print(rows: readonly DemoRow[], size: number, seed: number, json: boolean, out: CliOutput): void {
  if (json) {
    out.print(JSON.stringify({ size, seed, rows }));
    return;
  }
  out.print(`nmsparse demo: |W| of a seeded ${size}×${size} Gaussian matrix (seed ${seed}), backend ${rows[0]?.backend}`);
  out.print();
  const columns = [left('N:M'), left('method'), right('objective'), right('certified gap'), right('seconds')];
  const cells = rows.map((r) => [r.pattern, r.method, r.objective.toFixed(2), formatGap(r.gap), r.seconds.toFixed(3)]);
  for (const line of formatTable(columns, cells, { indent: '', rule: true })) out.print(line);
  out.print();
  out.print('standard: top N of every M in a row (its own optimum, gap 0 by construction).');
  out.print('transposable: N per row and column of every M×M tile; gap = (LP upper bound − objective)/bound.');
}
