/**
 * Flags that several commands share, declared once (flags.ts), and the settings they resolve to.
 * Limits on M (docs/cli.md, "Limits"): a standard mask costs O(M²) per group and a transposable one
 * solves an M×M assignment-like problem per tile, so M is capped per kind of mask; the API enforces its
 * own limits on top, and these are the ones the CLI states in its messages.
 */
// Values from core, not the package entry: a command's flags load without the solvers (cli/commands/index.ts).
import { DEFAULT_TSENOR_OPTIONS, MAX_M } from '../core/maskOptions.js';
import type { BackendChoice, Fill, ScoreKind, TransposableMethod, TsenorOptions } from '../index.js';
import type { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import { isIndexPath } from '../io/safetensorsOutput.js';
import { booleanFlag, choiceFlag, customFlag, integerFlag, numberFlag, optionError, pathFlag, regexFlag, sizeFlag, type Flag } from './flags.js';
import { MAX_SHARDS, parseShard } from './partition.js';
import type { ParsedArgs } from './parse.js';

/** The largest M the CLI accepts, per kind of mask. */
export const M_LIMITS = { standard: MAX_M.standard, transposable: Math.max(MAX_M.exact, MAX_M.greedy, MAX_M.tsenor) } as const;

export const N_FLAG = integerFlag({ name: 'n', min: 1, max: M_LIMITS.standard - 1, required: true, help: 'keep N of every M (N < M)' });
export const M_FLAG = integerFlag({
  name: 'm',
  min: 2,
  max: M_LIMITS.standard,
  placeholder: 'M',
  required: true,
  help: `group size M: M consecutive entries of a row (standard), or M×M tiles (transposable, M ≤ ${M_LIMITS.transposable})`,
});
export const TRANSPOSABLE_FLAG = booleanFlag({ name: 'transposable', help: 'N per row and per column of every M×M tile' });
export const METHOD_FLAG = choiceFlag<TransposableMethod>({
  name: 'method',
  choices: { exact: 'exact', tsenor: 'tsenor', greedy: 'greedy' },
  default: 'exact',
  needs: { name: 'transposable' },
  help: 'transposable solver: exact (certified optimal), tsenor (entropic OT, fast), greedy',
});
export const FILL_FLAG = choiceFlag<Fill>({
  name: 'fill',
  choices: { exact: 'exact', 'at-most': 'atMost', atMost: 'atMost' },
  default: 'exact',
  needs: { name: 'transposable' },
  help: 'exactly N per tile row and column, or at most N (entries with score ≤ 0 are then never kept)',
});
export const SCORE_FLAG = choiceFlag<ScoreKind>({
  name: 'score',
  choices: { abs: 'abs', raw: 'raw' },
  default: 'abs',
  help: 'score of an entry: its magnitude |w| (abs) or its value as stored (raw, for importance scores)',
});
export const BACKEND_FLAG = choiceFlag<BackendChoice>({
  name: 'backend',
  choices: { auto: 'auto', reference: 'reference', wasm: 'wasm', gpu: 'gpu' },
  default: 'auto',
  help: 'where the work runs; the result does not depend on it',
});
export const JSON_FLAG = booleanFlag({ name: 'json', help: 'print one JSON object instead of the text report (no progress)' });
export const QUIET_FLAG = booleanFlag({ name: 'quiet', help: 'no progress on stderr' });
export const FORCE_FLAG = booleanFlag({ name: 'force', help: 'replace existing output files (never an input)' });

export const TSENOR_FLAGS = {
  tau: numberFlag({ name: 'tau', max: 1e4, needs: { name: 'method', value: 'tsenor' }, default: DEFAULT_TSENOR_OPTIONS.tau, help: 'TSENOR entropy strength τ of the last stage' }),
  iterations: integerFlag({
    name: 'iterations',
    min: 1,
    max: 100_000,
    needs: { name: 'method', value: 'tsenor' },
    default: DEFAULT_TSENOR_OPTIONS.iterations,
    help: 'TSENOR Dykstra iterations in all',
  }),
  stages: integerFlag({ name: 'stages', min: 1, max: 64, needs: { name: 'method', value: 'tsenor' }, default: DEFAULT_TSENOR_OPTIONS.stages, help: 'TSENOR τ stages, τ doubling up to --tau' }),
  localSearchSteps: integerFlag({
    name: 'local-search-steps',
    min: 0,
    max: 10_000,
    needs: { name: 'method', value: 'tsenor' },
    default: DEFAULT_TSENOR_OPTIONS.localSearchSteps,
    help: 'TSENOR local-search steps per tile after rounding',
  }),
} as const;

export const INCLUDE_FLAG = regexFlag({ name: 'include', repeatable: true, inputs: ['safetensors'], help: 'only tensors whose name matches one of these' });
export const EXCLUDE_FLAG = regexFlag({ name: 'exclude', repeatable: true, inputs: ['safetensors'], help: 'no tensor whose name matches one of these' });
export const CONV_FLAG = booleanFlag({ name: 'conv', inputs: ['safetensors'], help: 'mask 4-D convolution weights (out, in, kh, kw) as out × (in·kh·kw)' });

export const SHARD_FLAG = customFlag({
  name: 'shard',
  placeholder: 'I/K',
  accepts: `i/k with integers 1 ≤ i ≤ k ≤ ${MAX_SHARDS}`,
  inputs: ['safetensors'],
  parse: parseShard,
  help: 'mask only the tensors of shard I of K and write a partial result for nmsparse merge',
});
export const MAX_SHARD_SIZE_FLAG = sizeFlag({
  name: 'max-shard-size',
  default: 5e9,
  defaultLabel: '5GB',
  inputs: ['safetensors'],
  help: 'largest data size of one shard file when a single-file input is written as a sharded set (.safetensors.index.json); a tensor larger than this gets a file of its own',
});

/** Refusal of --max-shard-size for a sharded input, whose outputs mirror its shards instead. */
export function mirroredShardsError(): NmsparseError {
  return optionError('--max-shard-size applies to a single-file input; the outputs of a sharded input mirror its shards');
}

/**
 * Refuses --max-shard-size where it would change nothing: when none of `outputs` (the command's safetensors
 * outputs, with their flags) names a .safetensors.index.json, and for a sharded input (`shardedInput`).
 */
export function checkMaxShardSize(args: ParsedArgs, outputs: readonly { path: string | undefined; label: string }[], shardedInput: boolean): void {
  if (!args.has(MAX_SHARD_SIZE_FLAG)) return;
  if (!outputs.some((o) => o.path !== undefined && isIndexPath(o.path))) {
    throw optionError(`--max-shard-size applies only when ${outputs.map((o) => o.label).join(' or ')} names a .safetensors.index.json`);
  }
  if (shardedInput) throw mirroredShardsError();
}

export function outputFlag(placeholder: string, help: string): Flag<string> {
  return pathFlag({ name: 'output', short: 'o', placeholder, required: true, help });
}

export interface Pattern {
  n: number;
  m: number;
  transposable: boolean;
}

/** --n, --m and --transposable, with N < M and M within the limit of its kind of mask. */
export function resolvePattern(args: ParsedArgs): Pattern {
  const n = args.require(N_FLAG);
  const m = args.require(M_FLAG);
  const transposable = args.get(TRANSPOSABLE_FLAG);
  if (n >= m) throw optionError(`--n must be less than --m (keep N of every M), got ${n}:${m}`);
  if (transposable && m > M_LIMITS.transposable) {
    throw optionError(`--m ${m} is above ${M_LIMITS.transposable}, the largest M for transposable masks`);
  }
  return { n, m, transposable };
}

/** The TSENOR options, from the flags and their defaults (the API's). */
export function resolveTsenor(args: ParsedArgs): TsenorOptions {
  const t = TSENOR_FLAGS;
  return { tau: args.get(t.tau), iterations: args.get(t.iterations), stages: args.get(t.stages), localSearchSteps: args.get(t.localSearchSteps) };
}

/** Which tensors of a checkpoint get a mask: the pattern plus --conv, --include and --exclude. */
export interface Selection {
  m: number;
  transposable: boolean;
  conv: boolean;
  include: readonly RegExp[];
  exclude: readonly RegExp[];
}

export function resolveSelection(args: ParsedArgs, pattern: { m: number; transposable: boolean }): Selection {
  return { ...pattern, conv: args.get(CONV_FLAG), include: args.all(INCLUDE_FLAG), exclude: args.all(EXCLUDE_FLAG) };
}

/** A word as a POSIX shell reads it: quoted when it holds anything but safe characters. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `nmsparse inspect PATH ...` with the selection's flags: a hint that itself runs. */
export function inspectHint(path: string, s: Selection): string {
  const words = ['nmsparse', 'inspect', shellWord(path), '--m', String(s.m)];
  if (s.transposable) words.push('--transposable');
  if (s.conv) words.push('--conv');
  for (const r of s.include) words.push('--include', shellWord(r.source));
  for (const r of s.exclude) words.push('--exclude', shellWord(r.source));
  return displayText(words.join(' '), 300);
}
