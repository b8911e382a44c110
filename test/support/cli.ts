// Runs the CLI in-process through its entry function, capturing stdout and stderr as strings.
import { run } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: readonly string[], options: { isTTY?: boolean } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: options.isTTY ?? false, columns: 120 },
  });
  return { code, out, err };
}

/** Lines of stderr, without the final newline's empty line. */
export function errLines(r: CliRun): string[] {
  return r.err === '' ? [] : r.err.replace(/\n$/, '').split('\n');
}
