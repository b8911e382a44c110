/**
 * Signals, the same for every command and input format (docs/cli.md, "Nothing lost"). SIGINT, SIGTERM
 * and SIGHUP abort the run's AbortSignal: the work stops at its next check, the OutputSet is discarded
 * (temporary files removed, no output appears), one line goes to stderr and the exit code is 128 + the
 * signal's number (130, 143, 129). A second signal, when the work has not stopped yet, removes the
 * temporary files synchronously and exits at once. A commit in progress is never cut in half: it is
 * synchronous (src/io/outputSet.ts), so handlers run before or after it.
 */
import { constants } from 'node:os';
import { displayText } from '../core/text.js';
import { writeOutputs, type OutputSet, type OutputSpec, type OutputStage } from '../io/outputSet.js';
import { removeLiveTempsSync } from '../io/tempFiles.js';
import type { OutputStream } from './command.js';

export const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type HandledSignal = (typeof HANDLED_SIGNALS)[number];

/** Exit code of a run stopped by `signal`, as shells report it (128 + its number). */
export function interruptedExitCode(signal: HandledSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Runs `work` with an AbortSignal that fires on the first SIGINT, SIGTERM or SIGHUP. A run stopped
 * this way (it fails after the signal, typically with E_ABORTED) prints one line and returns 128+n.
 */
export async function withInterrupt(work: (signal: AbortSignal) => Promise<number>, stderr: OutputStream = process.stderr): Promise<number> {
  const controller = new AbortController();
  let received: HandledSignal | undefined;
  const handlers = HANDLED_SIGNALS.map((name) => {
    const handler = () => {
      if (received === undefined) {
        received = name;
        controller.abort(new Error(name));
        return;
      }
      removeLiveTempsSync();
      stderr.write(`nmsparse: ${name} while stopping; stopped at once, no output was written\n`);
      process.exit(interruptedExitCode(name));
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    return await work(controller.signal);
  } catch (err) {
    if (received === undefined) throw err;
    stderr.write(`nmsparse: interrupted; no output was written (${received})\n`);
    return interruptedExitCode(received);
  } finally {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
  }
}

/** Comma-separated stages at which a run pauses: lets tests act at known points instead of sleeping. */
export const TEST_PAUSE_ENV = 'NMSPARSE_TEST_PAUSE_AT';

/**
 * With NMSPARSE_TEST_PAUSE_AT naming `stage`: says so on stderr, then waits until the run is signalled
 * or a line arrives on stdin. Otherwise returns at once.
 */
export async function pauseForTests(stage: string, signal: AbortSignal): Promise<void> {
  if (!(process.env[TEST_PAUSE_ENV]?.split(',') ?? []).includes(stage)) return;
  process.stderr.write(`nmsparse: test pause at ${stage}\n`);
  if (signal.aborted) return;
  let resume = () => {};
  await new Promise<void>((resolve) => {
    resume = resolve;
    signal.addEventListener('abort', resume, { once: true });
    process.stdin.once('data', resume);
  });
  signal.removeEventListener('abort', resume);
  process.stdin.removeListener('data', resume);
  process.stdin.pause();
}

/**
 * A command's outputs, checked before any work and committed together after `work` (see
 * src/io/outputSet.ts); leftovers of killed runs are removed with one line on stderr.
 */
export function withOutputs<T>(
  outputs: readonly OutputSpec[],
  options: { force: boolean; inputs: readonly string[]; signal: AbortSignal; stderr?: OutputStream },
  work: (set: OutputSet) => Promise<T>,
): Promise<T> {
  const { stderr = process.stderr, ...rest } = options;
  const onLeftovers = (removed: string[]) => {
    stderr.write(`nmsparse: removed ${removed.length} temporary file(s) left by killed runs: ${displayText(removed.join(', '), 400)}\n`);
  };
  const onStage = (stage: OutputStage) => pauseForTests(stage, options.signal);
  return writeOutputs(outputs, { ...rest, onLeftovers, onStage }, work);
}
