// `nmsparse audit`: differential testing of any mask solver that runs as a command (src/audit, docs/verification.md).
import { NmsparseError } from '../../core/errors.js';
import type { AuditSummary, FailureKind } from '../../audit/index.js';
import type { CliOutput, Command } from '../command.js';
import { displayText } from '../../core/text.js';
import { integerFlag, numberFlag, optionError, parsePositiveNumber, pathFlag, type DefaultedFlag } from '../flags.js';
import { withInterrupt } from '../interrupt.js';
import { progressMode } from '../progress.js';
import { FILL_FLAG, JSON_FLAG, M_FLAG, N_FLAG, QUIET_FLAG, resolvePattern, shellWord, TRANSPOSABLE_FLAG } from '../sharedFlags.js';
import { formatGap } from '../table.js';

const CASES_FLAG = integerFlag({ name: 'cases', min: 1, max: 1_000_000, default: 100, help: 'how many score matrices to try' });
const SEED_FLAG = integerFlag({ name: 'seed', min: 0, max: 2 ** 31 - 1, help: 'seed of the cases (default: a random one, printed in the summary)' });
const TIMEOUT_FLAG = numberFlag({ name: 'timeout', max: 86_400, default: 30, placeholder: 'SEC', help: 'seconds one run of the command may take' });
const SHRINK_FLAG = integerFlag({ name: 'shrink-attempts', min: 0, max: 100_000, default: 200, help: 'runs of the command spent shrinking the first failure' });
const OUT_FLAG = pathFlag({ name: 'out', placeholder: 'DIR', help: 'counterexample folder, written on a failure (default nmsparse-audit-SEED); must not exist or be empty' });

/** A gap: 0 (the default, which numberFlag's positive numbers exclude) or a decimal up to 1. */
const MAX_GAP_ACCEPTS = 'a number from 0 to 1';
const MAX_GAP_FLAG: DefaultedFlag<number> = {
  name: 'max-gap',
  kind: 'number',
  placeholder: 'G',
  accepts: MAX_GAP_ACCEPTS,
  help: 'largest certified gap a mask may have, overall and in every tile (0: the solver claims to be exact)',
  default: 0,
  parse(text) {
    if (/^0*\.?0*$/.test(text) && text.includes('0')) return 0;
    try {
      return parsePositiveNumber(text, 'max-gap', 1);
    } catch {
      throw optionError(`--max-gap must be ${MAX_GAP_ACCEPTS}, got '${displayText(text, 40)}'`);
    }
  },
};

/** The engine loads fast-check, an optional peer dependency: say what to install when it is missing. */
async function loadAudit(): Promise<typeof import('../../audit/index.js')> {
  try {
    return await import('../../audit/index.js');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes('fast-check')) {
      throw new NmsparseError('E_IO', 'nmsparse audit needs fast-check, an optional peer dependency: npm install fast-check', { cause: err });
    }
    throw err;
  }
}

function kindsText(kinds: Partial<Record<FailureKind, number>>): string {
  return Object.entries(kinds)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
}

function printSummary(s: AuditSummary, command: readonly string[], out: CliOutput): void {
  const p = s.problem;
  const problem = p.transposable ? `transposable ${p.n}:${p.m} (fill ${p.fill})` : `standard ${p.n}:${p.m} (fill ${p.fill})`;
  out.print(`audit of ${displayText(command.map(shellWord).join(' '), 300)}: ${problem}, max gap ${p.maxGap}`);
  const gaps = `mean gap ${formatGap(s.meanGap)}, max gap ${formatGap(s.maxGap)}`;
  const time = `${s.seconds.toFixed(1)} s`;
  if (s.failed === 0) {
    out.print(`${s.cases} cases (seed ${s.seed}): all valid, ${gaps}, no failures, ${time}`);
    return;
  }
  out.print(`${s.cases} cases (seed ${s.seed}): ${s.valid} valid, ${gaps}, ${s.failed} failed (${kindsText(s.failureKinds)}), ${time}`);
  for (const f of s.failures.slice(0, 5)) {
    out.print(`  case ${f.index} (${f.spec.family}, ${f.spec.rows}×${f.spec.cols}): ${displayText(f.message, 300)}`);
  }
  if (s.failures.length > 5) out.print(`  … and ${s.failures.length - 5} more (--json lists them all)`);
  const ce = s.counterexample;
  if (ce) {
    out.print(`counterexample (${ce.rows}×${ce.cols}): ${displayText(ce.message, 300)}`);
    if (ce.folder !== undefined) out.print(`written to ${displayText(ce.folder, 300)}/ (report.md, report.json, scores.npy, their-mask.npy, optimal-mask.npy)`);
  }
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'test another mask solver, run as a command, on cases that break solvers (exit 1 on any failure)',
  usage: ['--n N --m M [--transposable] [--fill exact|at-most] [--cases K] [--seed S] [--max-gap G] [--timeout SEC] [--out DIR] [--json] -- COMMAND ...'],
  operands: [],
  trailing: 'COMMAND',
  inputs: [],
  flags: [N_FLAG, M_FLAG, TRANSPOSABLE_FLAG, FILL_FLAG, CASES_FLAG, SEED_FLAG, MAX_GAP_FLAG, TIMEOUT_FLAG, SHRINK_FLAG, OUT_FLAG, JSON_FLAG, QUIET_FLAG],
  notes: [
    'COMMAND runs once per case, without a shell; in each of its words {in} becomes a .npy file of f32 scores, {out} the .npy file it must write the mask to (u8, bool or float 0/1, the same shape), {n} and {m} the pattern. The mask must maximise the sum of the scores it keeps, the scores taken as they are (signed).',
    'A case fails when the command exits non-zero, is killed or times out, writes no mask or a malformed one, a mask of the wrong shape, an invalid mask, or one whose certified gap (overall, or in any tile) exceeds --max-gap. The first failure is shrunk to a minimal counterexample (fewest tiles, then simplest values) and written to --out.',
    'M is at most 256 here. The engine needs fast-check, an optional peer dependency of nmsparse (npm install fast-check). docs/verification.md has worked examples.',
    'Exit 0 when every case passes, 1 when one fails, 2 on a usage error.',
  ],
  examples: [
    'nmsparse audit --n 2 --m 4 --transposable -- python3 my_solver.py {in} {out}',
    'nmsparse audit --n 8 --m 16 --transposable --max-gap 0.01 --cases 500 --seed 7 -- ./solver --n {n} --m {m} {in} {out}',
  ],
  async run(args, out) {
    const pattern = resolvePattern(args);
    if (pattern.m > 256) throw optionError(`--m ${pattern.m} is above 256, the largest M audit generates cases for`);
    const seed = args.get(SEED_FLAG) ?? Math.floor(Math.random() * 2 ** 31);
    const json = args.get(JSON_FLAG);
    const { audit } = await loadAudit();
    const bar = progressMode(out.stderr, args.get(QUIET_FLAG) || json) === 'bar';
    return withInterrupt(async (signal) => {
      const summary = await audit(args.trailing, {
        ...pattern,
        fill: args.get(FILL_FLAG),
        cases: args.get(CASES_FLAG),
        seed,
        maxGap: args.get(MAX_GAP_FLAG),
        timeoutMs: Math.ceil(args.get(TIMEOUT_FLAG) * 1000),
        maxShrinkAttempts: args.get(SHRINK_FLAG),
        outDir: args.get(OUT_FLAG) ?? `nmsparse-audit-${seed}`,
        signal,
        ...(bar ? { onCase: (r, done, total) => out.stderr.write(`\r\u001b[2Kcase ${done}/${total}${r.ok ? '' : ` (case ${r.index} failed)`}`) } : {}),
      }).finally(() => {
        if (bar) out.stderr.write('\r\u001b[2K');
      });
      if (json) out.print(JSON.stringify({ command: args.trailing, ...summary }));
      else printSummary(summary, args.trailing, out);
      return summary.failed === 0 ? 0 : 1;
    });
  },
};
