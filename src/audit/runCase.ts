/**
 * One case end to end: write the scores as .npy, run the command on it, read the mask it wrote and
 * judge it. Every way the command can go wrong becomes a failure kind; nothing here throws for a
 * misbehaving command (only cancellation, E_ABORTED, throws).
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { parseNpyMask, writeNpyFile, type NpyMask } from '../io/npy.js';
import { runCommand, substitutePlaceholders, type CommandResult } from './command.js';
import { judgeMask, type FailureKind, type Judgement, type Problem } from './judge.js';

export interface CaseOutcome {
  ok: boolean;
  kind?: FailureKind;
  message: string;
  /** max(certified gap, worst unit gap), when the mask could be certified. */
  gap?: number;
  run: CommandResult;
  /** The mask the command wrote, when it could be read: decoded at its stored precision, and its file's bytes. */
  theirMask?: NpyMask;
  theirMaskFile?: Uint8Array;
  /** The judgement of that mask, when it had the right shape and 0/1 values to be judged. */
  judgement?: Judgement;
}

/** How the audited command is run: its argv with placeholders, and the timeout of one run. */
export interface CommandSpec {
  argv: readonly string[];
  timeoutMs: number;
  /** Stops the run: the command is killed and the case throws E_ABORTED. */
  signal?: AbortSignal;
}

function commandFailure(run: CommandResult, timeoutMs: number): { kind: FailureKind; message: string } | undefined {
  if (run.spawnError) return { kind: 'crash', message: `the command could not start (${run.spawnError})` };
  if (run.timedOut) return { kind: 'timeout', message: `the command ran longer than the ${timeoutMs / 1000} s timeout` };
  if (run.signal) return { kind: 'crash', message: `the command was killed by ${run.signal}` };
  if (run.exitCode !== 0) return { kind: 'crash', message: `the command exited with code ${run.exitCode}` };
  return undefined;
}

/** Runs the command on `scores` in `dir` (in.npy, out.npy) and judges what it wrote. */
export async function runCase(scores: Matrix, problem: Problem, command: CommandSpec, dir: string): Promise<CaseOutcome> {
  const input = join(dir, 'in.npy');
  const output = join(dir, 'out.npy');
  await writeNpyFile(input, scores.data, [scores.rows, scores.cols], 'f32', { force: true });
  await rm(output, { force: true, recursive: true });
  const argv = substitutePlaceholders(command.argv, { in: input, out: output, n: problem.n, m: problem.m });
  throwIfAborted(command.signal);
  const run = await runCommand(argv, command.timeoutMs, command.signal);
  throwIfAborted(command.signal);
  const failed = commandFailure(run, command.timeoutMs);
  if (failed) return { ok: false, ...failed, run };

  const size = await stat(output).then((st) => st.size, () => undefined);
  if (size === undefined) return { ok: false, kind: 'noMask', message: 'the command exited 0 but wrote no mask to {out}', run };
  // Refuse to load a runaway file: a mask needs at most 8 bytes a value (f64) plus its header.
  if (size > scores.rows * scores.cols * 8 + 65_536) {
    return { ok: false, kind: 'malformedMask', message: `the mask file has ${size} bytes, far more than a ${scores.rows}×${scores.cols} mask needs`, run };
  }
  let theirMaskFile: Uint8Array;
  let theirMask: NpyMask;
  try {
    theirMaskFile = await readFile(output);
    theirMask = parseNpyMask(theirMaskFile, '{out}');
  } catch (err) {
    if (err instanceof NmsparseError) return { ok: false, kind: 'malformedMask', message: `the mask is not a readable .npy: ${err.message}`, run };
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, kind: 'noMask', message: `the mask {out} cannot be read (${code})`, run };
  }
  const judgement = await judgeMask(scores, theirMask.data, theirMask.shape, problem);
  return { ok: judgement.ok, kind: judgement.kind, message: judgement.message, gap: judgement.gap, run, theirMask, theirMaskFile, judgement };
}
