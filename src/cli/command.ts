// What a subcommand is: its declarative spec (help text, operands, flags, examples) and its action.
import type { Flag, InputKind } from './flags.js';
import type { ParsedArgs } from './parse.js';

/** Where the CLI writes: process.stdout/stderr in bin.ts, string buffers in tests. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

/** A command's view of the terminal: report lines to stdout; progress goes to `stderr` directly. */
export class CliOutput {
  constructor(readonly io: CliIo) {}

  print(line = ''): void {
    this.io.stdout.write(`${line}\n`);
  }

  get stderr(): OutputStream {
    return this.io.stderr;
  }
}

export interface Command {
  readonly name: string;
  /** One line for `nmsparse --help`. */
  readonly summary: string;
  /** Usage lines, each written after `nmsparse <name> `. */
  readonly usage: readonly string[];
  /** Names of the positional arguments, in order; all are required. */
  readonly operands: readonly string[];
  /** The last operand may be given more than once (merge's PART...). */
  readonly variadic?: boolean;
  /** Another operand list the command accepts (its flags tell the forms apart): verify --pruned takes none. */
  readonly alternativeOperands?: readonly string[];
  /** The name of a command line that follows `--` (every word after it, at least one): audit's COMMAND. */
  readonly trailing?: string;
  /** The file kinds the command reads; a flag without `inputs` applies to all of them. */
  readonly inputs: readonly InputKind[];
  readonly flags: readonly Flag<unknown>[];
  /** Paragraphs shown after the flags in --help (what it prints, exit codes particular to it). */
  readonly notes?: readonly string[];
  readonly examples: readonly string[];
  run(args: ParsedArgs, out: CliOutput): Promise<number>;
}
