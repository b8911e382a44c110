import { parseArgs } from 'node:util';
import type { TimingPlan } from './timing.js';

export interface RunOptions {
  help: boolean;
  quick: boolean;
  json: boolean;
  backends: string[];
  methods: string[];
  sizes: number[];
  patterns: string[];
  /** An explicit results file; without it each run gets a new file under bench/results/. */
  out?: string;
  nativeRef?: string;
  native: boolean;
  /** Mask cases write into one reused array (`out`) instead of a new mask per call. */
  intoOut: boolean;
}

/** How long things may take: the quick run must finish in under two minutes on the 2-core machine. */
export interface RunLimits {
  timing: TimingPlan;
  /** A case whose predicted single call exceeds this is skipped (seconds). */
  callLimitSeconds: number;
  /** A case's process is stopped after this long (seconds), whatever was predicted. */
  caseTimeoutSeconds: number;
  /** Cases not started within this many seconds of the run's start are skipped. */
  runBudgetSeconds: number;
  nativeReps: number;
}

export const QUICK_LIMITS: RunLimits = {
  timing: { maxSamples: 5, budgetSeconds: 1, singleCallSeconds: 1.5 },
  callLimitSeconds: 8,
  caseTimeoutSeconds: 20,
  runBudgetSeconds: 75,
  nativeReps: 3,
};

export const FULL_LIMITS: RunLimits = {
  timing: { maxSamples: 20, budgetSeconds: 8, singleCallSeconds: 10 },
  callLimitSeconds: 60,
  caseTimeoutSeconds: 300,
  runBudgetSeconds: Infinity,
  nativeReps: 10,
};

export const USAGE = `usage: npm run bench -- [--quick] [--json] [--backend NAME] [--method NAME] [--size N]
                        [--pattern N:M] [--out FILE] [--native-ref DIR] [--no-native] [--into-out]
  --quick        1024² for every pattern plus the 4096² 8:16 rows, few samples (under 2 minutes)
  --backend      reference | wasm | gpu (repeat or comma-separate; default: every available one)
  --method       standard | exact | greedy | tsenor (and suite methods such as prox; default: all)
  --size         matrix side, e.g. 1024 or 4096 (default: both)
  --pattern      N:M, e.g. 8:16 (default: 2:4 4:8 8:16 16:32)
  --json         print the results as JSON instead of a table
  --out          where the results go (default: a new bench/results/MACHINE/YYYY-MM-DD[-N].json)
  --native-ref   directory holding nmx.c, the optional native C reference (docs/benchmarks.md);
                 default: the NMSPARSE_NATIVE_REF environment variable
  --no-native    skip the native C comparison
  --into-out     mask cases write every call's mask into one array allocated before timing (the
                 API's out option: no new 16 MB mask per 4096² call); their names end in "into out"`;

function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** Parses the command line; throws an Error whose message is meant for the user. */
export function parseRunOptions(argv: string[], defaultOut?: string): RunOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      backend: { type: 'string', multiple: true },
      method: { type: 'string', multiple: true },
      size: { type: 'string', multiple: true },
      pattern: { type: 'string', multiple: true },
      out: { type: 'string' },
      'native-ref': { type: 'string' },
      'no-native': { type: 'boolean', default: false },
      'into-out': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const sizes = list(values.size).map((s) => {
    const size = Number(s);
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
      throw new Error(`--size must be a positive multiple of 32 (so every pattern tiles it), got ${s}`);
    }
    return size;
  });
  const patterns = list(values.pattern);
  for (const p of patterns) {
    if (!/^\d+:\d+$/.test(p)) throw new Error(`--pattern must look like 8:16, got ${p}`);
  }
  return {
    help: values.help ?? false,
    quick: values.quick ?? false,
    json: values.json ?? false,
    backends: list(values.backend),
    methods: list(values.method),
    sizes,
    patterns,
    out: values.out ?? defaultOut,
    nativeRef: values['native-ref'],
    native: !(values['no-native'] ?? false),
    intoOut: values['into-out'] ?? false,
  };
}
