// `npm run bench`: every suite's cases, each in its own process; prints a table and writes the results
// to a new file bench/results/<machine>/<YYYY-MM-DD>[-N].json (or --out FILE).
// Installs Node's runtime (build/*.wasm via fs, the worker pool) as the package's Node entry does.
import '../test/support/nodeRuntime.js';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { FULL_LIMITS, QUICK_LIMITS, USAGE, parseRunOptions, type RunOptions } from './args.js';
import { runIsolated } from './isolate.js';
import { compareWithNative } from './native-compare.js';
import { gitCommit, repoRoot } from './native.js';
import { addReferenceSpeedups, writeJsonAtomic, writeNewResultsFile, type CaseRow, type Results } from './results.js';
import { chosenBackends, scheduleCase } from './schedule.js';
import { SUITES } from './suites.js';
import { formatTable } from './table.js';

function progressLine(index: number, total: number, row: CaseRow): string {
  const what = row.measured ? `${row.measured.medianSeconds.toPrecision(3)} s` : `${row.status} (${row.reason})`;
  return `[${index + 1}/${total}] ${row.case.id} · ${row.case.backend}: ${what}`;
}

async function main(options: RunOptions): Promise<void> {
  const limits = options.quick ? QUICK_LIMITS : FULL_LIMITS;
  const { backends, notes } = await chosenBackends(options.backends, options.quick);
  for (const note of notes) process.stderr.write(`${note}\n`);
  const config = {
    quick: options.quick,
    backends: backends.map((b) => b.name),
    methods: options.methods,
    sizes: options.sizes,
    patterns: options.patterns,
    intoOut: options.intoOut,
  };
  const cases = SUITES.flatMap((suite) => suite.cases(config));
  if (cases.length === 0) throw new Error('no case matches the filters');

  const start = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const commit = gitCommit();
  const rows: CaseRow[] = [];
  for (const [index, c] of cases.entries()) {
    const row = await scheduleCase(c, rows, limits, (performance.now() - start) / 1000, runIsolated);
    rows.push(row);
    process.stderr.write(progressLine(index, cases.length, row) + '\n');
  }
  addReferenceSpeedups(rows);
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
      backends: [...backends.map((b) => `${b.name}: ${b.reason}`), ...notes],
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      commit,
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      ...(nativeNote ? { nativeNote } : {}),
    },
    rows,
  };
  let written: string;
  if (options.out === undefined) {
    written = writeNewResultsFile(join(repoRoot(), 'bench', 'results'), results);
  } else {
    writeJsonAtomic(options.out, results);
    written = options.out;
  }
  if (options.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } else {
    process.stdout.write(formatTable(rows) + '\n');
    const { cpus: cores, cpuModel, node, backends: described, loadAverage } = results.info;
    const load = `load average ${loadAverage.start.toFixed(1)} → ${loadAverage.end.toFixed(1)}`;
    process.stdout.write(`\n${cores}× ${cpuModel}, Node ${node}, ${load}; ${described.join('; ')}\n`);
    if (nativeNote) process.stdout.write(`\nnative comparison: ${nativeNote}\n`);
    process.stdout.write(`\nwrote ${written} (${((performance.now() - start) / 1000).toFixed(0)} s)\n`);
  }
}

let options: RunOptions;
try {
  options = parseRunOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
main(options).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
