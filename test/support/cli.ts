// Runs the CLI in-process through its entry function, capturing stdout and stderr as strings.
import type { Command } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { run } from '../../src/cli/main.js';
import { NmsparseError } from '../../src/core/errors.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: readonly string[], options: { isTTY?: boolean; commands?: readonly Command[] } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: options.isTTY ?? false, columns: 120 },
  };
  const code = await run(argv, io, options.commands ?? COMMANDS);
  return { code, out, err };
}

/** Runs `nmsparse argv` like runCli, also keeping the NmsparseError that `command` failed with (for its code). */
export async function runCliCatching(command: Command, argv: readonly string[]): Promise<CliRun & { error?: NmsparseError }> {
  let error: NmsparseError | undefined;
  const spy: Command = {
    ...command,
    run: (args, out) =>
      command.run(args, out).catch((e: unknown) => {
        if (e instanceof NmsparseError) error = e;
        throw e;
      }),
  };
  const r = await runCli(argv, { commands: COMMANDS.map((c) => (c === command ? spy : c)) });
  return { ...r, ...(error ? { error } : {}) };
}

/** Lines of stderr, without the final newline's empty line. */
export function errLines(r: CliRun): string[] {
  return r.err === '' ? [] : r.err.replace(/\n$/, '').split('\n');
}
