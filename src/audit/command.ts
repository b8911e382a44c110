/**
 * Runs the audited command for one case: placeholders substituted in each argument (an argv array; no
 * shell is involved), a wall-clock timeout that kills the command's whole process group, and the tail
 * of its stderr kept for the report.
 */
import { spawn } from 'node:child_process';
import { NmsparseError } from '../core/errors.js';

/** The placeholders an argument may contain. */
export interface Placeholders {
  in: string;
  out: string;
  n: number;
  m: number;
}

export interface CommandResult {
  /** The exit code, or null when a signal ended the command or it could not start. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Why the command could not start (ENOENT, EACCES, …), when it could not. */
  spawnError?: string;
  /** The last few kilobytes of its stderr (raw: escape before printing). */
  stderrTail: string;
  seconds: number;
}

const STDERR_TAIL_BYTES = 4096;

/** The command's argv for one case: every {in}, {out}, {n} and {m} replaced in every argument. */
export function substitutePlaceholders(command: readonly string[], values: Placeholders): string[] {
  if (command.length === 0 || typeof command[0] !== 'string' || command[0] === '') {
    throw new NmsparseError('E_OPTION', 'no command to audit; give it after --, for example: -- python3 solver.py {in} {out}');
  }
  const table: Record<string, string> = { '{in}': values.in, '{out}': values.out, '{n}': String(values.n), '{m}': String(values.m) };
  return command.map((arg) => arg.replace(/\{(?:in|out|n|m)\}/g, (p) => table[p] as string));
}

/** Kills the command and everything it started (its process group) where the platform has groups. */
function killTree(pid: number | undefined, fallback: () => void): void {
  try {
    if (pid === undefined || process.platform === 'win32') fallback();
    else process.kill(-pid, 'SIGKILL');
  } catch {
    fallback();
  }
}

/** Runs argv (argv[0] looked up on PATH) with the timeout; never rejects. A fired signal kills it. */
export function runCommand(argv: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<CommandResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    let stderr = Buffer.alloc(0);
    let exited = false;
    let timedOut = false;
    let spawnError: string | undefined;
    const child = spawn(argv[0] as string, argv.slice(1), {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: process.platform !== 'win32', // its own process group, so a timeout can end all of it
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      timedOut = !exited;
      killTree(child.pid, () => child.kill('SIGKILL'));
    }, timeoutMs);
    const onAbort = () => killTree(child.pid, () => child.kill('SIGKILL'));
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > 2 * STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
    });
    child.on('exit', () => {
      exited = true;
    });
    let settled = false;
    const finish = (code: number | null, endSignal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode: code,
        signal: endSignal,
        timedOut,
        ...(spawnError ? { spawnError } : {}),
        stderrTail: stderr.subarray(Math.max(0, stderr.length - STDERR_TAIL_BYTES)).toString('utf8'),
        seconds: (performance.now() - start) / 1000,
      });
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err.code ?? err.message;
      if (child.pid === undefined) finish(null, null); // it never started: no 'close' to wait for
    });
    child.on('close', (code, signal) => finish(spawnError ? null : code, spawnError ? null : signal));
  });
}
