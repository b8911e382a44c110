/**
 * Measures the mean certified gap of TSENOR (and greedy) against the exact solver's LP-dual bound, on
 * seeded Gaussian and column-scaled matrices: the measurement behind DEFAULT_TSENOR_OPTIONS.
 *
 *   npx tsc --outDir /tmp/nmsparse-tune --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --strict --skipLibCheck scripts/tune-tsenor.ts
 *   node /tmp/nmsparse-tune/scripts/tune-tsenor.js            # defaults and greedy, 1024×1024
 *   node /tmp/nmsparse-tune/scripts/tune-tsenor.js --sweep    # the grid the defaults were chosen from
 *
 * Options: --size S (default 1024), --seed K (default 1).
 */
import { batchUpperBound, relativeGap } from '../src/reference/dualBound.js';
import { gatherTiles, maskedSum, type Matrix } from '../src/core/matrix.js';
import { DEFAULT_TSENOR_OPTIONS } from '../src/core/maskOptions.js';
import { columnScaledMatrix, gaussianMatrix } from '../src/core/random.js';
import { exactTiles } from '../src/reference/exact.js';
import { greedyTiles } from '../src/reference/greedy.js';
import { tsenorTiles } from '../src/reference/tsenor.js';
import type { ExactSolution, TileBatch, TsenorOptions } from '../src/core/types.js';

type Kind = 'gaussian' | 'column-scaled';

interface Case {
  kind: Kind;
  n: number;
  m: number;
  batch: TileBatch;
  upperBound: number;
}

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function absScores(x: Matrix): Matrix {
  return { rows: x.rows, cols: x.cols, data: x.data.map(Math.abs) };
}

function makeCase(kind: Kind, size: number, seed: number, n: number, m: number): Case {
  const w = kind === 'gaussian' ? gaussianMatrix(size, size, seed) : columnScaledMatrix(size, size, seed);
  const scores = absScores(w);
  const batch: TileBatch = { tiles: gatherTiles(scores, m), count: (size / m) ** 2, m };
  const cells = batch.count * m;
  const exact: ExactSolution = {
    mask: new Uint8Array(cells * m),
    u: new Float64Array(cells),
    v: new Float64Array(cells),
  };
  exactTiles(batch, n, 'exact', 0, batch.count, exact);
  return { kind, n, m, batch, upperBound: batchUpperBound(batch, n, 'exact', exact) };
}

/**
 * Gap (%) and CPU seconds of one solver on one case (CPU time of this single-threaded process, which
 * other work on a shared machine disturbs much less than wall-clock time).
 */
function measure(c: Case, solve: (out: Uint8Array) => void): { gap: number; seconds: number } {
  const out = new Uint8Array(c.batch.tiles.length);
  const t0 = process.cpuUsage();
  solve(out);
  const used = process.cpuUsage(t0);
  const seconds = (used.user + used.system) / 1e6;
  return { gap: 100 * relativeGap(c.upperBound, maskedSum(c.batch.tiles, out)), seconds };
}

function tsenor(c: Case, options: TsenorOptions): { gap: number; seconds: number } {
  return measure(c, (out) => tsenorTiles(c.batch, c.n, 'exact', options, 0, c.batch.count, out));
}

function greedy(c: Case): { gap: number; seconds: number } {
  return measure(c, (out) => greedyTiles(c.batch, c.n, 'exact', 0, c.batch.count, out));
}

function line(cells: Array<string | number>): void {
  console.log(`| ${cells.join(' | ')} |`);
}

function report(size: number, seed: number): void {
  console.log(`TSENOR defaults ${JSON.stringify(DEFAULT_TSENOR_OPTIONS)}, ${size}×${size}, seed ${seed}, fill exact`);
  line(['matrix', 'N:M', 'tsenor gap %', 'tsenor CPU s', 'greedy gap %', 'greedy CPU s']);
  line(['---', '---', '---', '---', '---', '---']);
  const cases: Array<[Kind, number, number]> = [
    ['gaussian', 2, 4],
    ['gaussian', 4, 8],
    ['gaussian', 8, 16],
    ['gaussian', 16, 32],
    ['column-scaled', 8, 16],
  ];
  for (const [kind, n, m] of cases) {
    const c = makeCase(kind, size, seed, n, m);
    const t = tsenor(c, DEFAULT_TSENOR_OPTIONS);
    const g = greedy(c);
    line([kind, `${n}:${m}`, t.gap.toFixed(4), t.seconds.toFixed(2), g.gap.toFixed(4), g.seconds.toFixed(2)]);
  }
}

/** The grid the defaults were chosen from: 8:16, both matrix kinds. */
function sweep(size: number, seed: number): void {
  const cases = (['gaussian', 'column-scaled'] as const).map((kind) => makeCase(kind, size, seed, 8, 16));
  line(['tau', 'stages', 'iterations', 'localSearchSteps', 'gaussian gap %', 'column-scaled gap %', 'CPU s']);
  line(['---', '---', '---', '---', '---', '---', '---']);
  const schedules: Array<[number, number]> = [
    [50, 1],
    [100, 1],
    [100, 2],
    [100, 3],
    [200, 3],
    [200, 4],
    [400, 4],
    [400, 5],
  ];
  for (const [tau, stages] of schedules) {
    for (const iterations of [50, 60, 80, 100]) {
      for (const localSearchSteps of [0, 16]) {
        const options = { tau, stages, iterations, localSearchSteps };
        const [g, s] = cases.map((c) => tsenor(c, options)) as [ReturnType<typeof tsenor>, ReturnType<typeof tsenor>];
        line([tau, stages, iterations, localSearchSteps, g.gap.toFixed(4), s.gap.toFixed(4), (g.seconds + s.seconds).toFixed(2)]);
      }
    }
  }
}

const size = argValue('--size', 1024);
const seed = argValue('--seed', 1);
if (process.argv.includes('--sweep')) sweep(size, seed);
else report(size, seed);
