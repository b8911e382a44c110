// The built CLI as a real process, synchronised on its test pause lines (NMSPARSE_TEST_PAUSE_AT), never
// on sleeps: for tests of signals, exit codes, concurrent runs and runs split over processes.
import { spawn, type ChildProcess } from 'node:child_process';

const PAUSE = /^nmsparse: test pause at (\S+)$/;

export interface CliProcess {
  child: ChildProcess;
  /** Resolves at the first pause line; rejects if the process ends without one. */
  paused: Promise<string>;
  /** Exit code or signal, and the lines of stderr other than pause lines. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[] }>;
}

/** Spawns `node bin argv`, pausing at `pauseAt` (comma-separated stages) when given. */
export function startCli(bin: string, argv: readonly string[], pauseAt = ''): CliProcess {
  const child = spawn(process.execPath, [bin, ...argv], {
    env: { ...process.env, NMSPARSE_TEST_PAUSE_AT: pauseAt },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  let onPause: (stage: string) => void = () => {};
  let onEnd: (err: Error) => void = () => {};
  const paused = new Promise<string>((resolve, reject) => {
    onPause = resolve;
    onEnd = reject;
  });
  paused.catch(() => undefined); // awaited only by the tests that pause
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const stage = stderr.split('\n').map((l) => PAUSE.exec(l)?.[1]).find((s) => s !== undefined);
    if (stage) onPause(stage);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[] }>((resolve) => {
    child.on('close', (code, signal) => {
      onEnd(new Error(`nmsparse ${argv.join(' ')} ended (${code ?? signal}) without pausing: ${stderr}`));
      resolve({ code, signal, lines: stderr.split('\n').filter((l) => l !== '' && !PAUSE.test(l)) });
    });
  });
  return { child, paused, done };
}
