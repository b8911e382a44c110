// `npm run bench`: every suite's cases, each in its own process; prints a table and writes bench/results.json.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { listBackends } from '../src/backends/backend.js';
import '../src/backends/all.js';
import { FULL_LIMITS, QUICK_LIMITS, USAGE, parseRunOptions, type RunLimits, type RunOptions } from './args.js';
import { runIsolated } from './isolate.js';
import { compareWithNative } from './native-compare.js';
import { repoRoot } from './native.js';
import { writeJsonAtomic, type CaseRow, type Results } from './results.js';
import type { CaseBase } from './suite.js';
import { SUITES } from './suites.js';
import { formatTable } from './table.js';

/** Available backends in run order (the reference last: it is the slow one), filtered by --backend. */
async function chosenBackends(wanted: string[]): Promise<string[]> {
  const all = await listBackends();
  for (const name of wanted) {
    const info = all.find((b) => b.name === name);
    if (!info) throw new Error(`unknown backend ${name}; registered: ${all.map((b) => b.name).join(', ')}`);
    if (!info.available) throw new Error(`backend ${name} is not available here: ${info.reason}`);
  }
  return all
    .filter((b) => b.available && (wanted.length === 0 || wanted.includes(b.name)))
    .map((b) => b.name)
    .sort((a, b) => Number(a === 'reference') - Number(b === 'reference'));
}

/** Seconds one call of `c` should take, from the largest finished case of its family. */
function predictedCallSeconds(c: CaseBase, done: readonly CaseRow[]): number | undefined {
  let best: CaseRow | undefined;
  for (const row of done) {
    if (row.case.family !== c.family || !row.measured || row.case.work > c.work) continue;
    if (!best || row.case.work > best.case.work) best = row;
  }
  return best?.measured ? (best.measured.minSeconds * c.work) / best.case.work : undefined;
}

async function runCase(c: CaseBase, done: readonly CaseRow[], limits: RunLimits, elapsed: number): Promise<CaseRow> {
  if (elapsed > limits.runBudgetSeconds) {
    return { case: c, status: 'skipped', reason: `the run's ${limits.runBudgetSeconds} s budget was spent` };
  }
  const predicted = predictedCallSeconds(c, done);
  if (predicted !== undefined && predicted > limits.callLimitSeconds) {
    const reason = `predicted ${predicted.toFixed(0)} s per call > ${limits.callLimitSeconds} s limit`;
    return { case: c, status: 'skipped', reason };
  }
  const outcome = await runIsolated(c, limits.timing, limits.caseTimeoutSeconds);
  return outcome.status === 'ok'
    ? { case: c, status: 'ok', measured: outcome.measured }
    : { case: c, status: outcome.status, reason: outcome.reason };
}

function progressLine(index: number, total: number, row: CaseRow): string {
  const what = row.measured ? `${row.measured.medianSeconds.toPrecision(3)} s` : `${row.status} (${row.reason})`;
  return `[${index + 1}/${total}] ${row.case.id} · ${row.case.backend}: ${what}`;
}

async function main(options: RunOptions): Promise<void> {
  const limits = options.quick ? QUICK_LIMITS : FULL_LIMITS;
  const config = {
    quick: options.quick,
    backends: await chosenBackends(options.backends),
    methods: options.methods,
    sizes: options.sizes,
  };
  const cases = SUITES.flatMap((suite) => suite.cases(config));
  if (cases.length === 0) throw new Error('no case matches the filters');

  const start = performance.now();
  const rows: CaseRow[] = [];
  for (const [index, c] of cases.entries()) {
    const row = await runCase(c, rows, limits, (performance.now() - start) / 1000);
    rows.push(row);
    process.stderr.write(progressLine(index, cases.length, row) + '\n');
  }
  const nativeNote = options.native
    ? compareWithNative(rows, options.nativeRef, limits.nativeReps)
    : 'skipped (--no-native)';

  const cpu = cpus();
  const results: Results = {
    info: {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      quick: options.quick,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      ...(nativeNote ? { nativeNote } : {}),
    },
    rows,
  };
  writeJsonAtomic(options.out, results);
  if (options.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } else {
    process.stdout.write(formatTable(rows) + '\n');
    if (nativeNote) process.stdout.write(`\nnative comparison: ${nativeNote}\n`);
    process.stdout.write(`\nwrote ${options.out} (${((performance.now() - start) / 1000).toFixed(0)} s)\n`);
  }
}

let options: RunOptions;
try {
  options = parseRunOptions(process.argv.slice(2), join(repoRoot(), 'bench', 'results.json'));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
}
main(options).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
