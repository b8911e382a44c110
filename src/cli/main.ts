/**
 * The CLI entry point as a function: `run(argv, io)` parses, dispatches to a subcommand and turns
 * every failure into an exit code and at most one line on stderr, so that tests call it in-process.
 * Exit codes: 0 success; 1 a check failed (verify); 2 a usage or input error, reported as
 * `nmsparse <cmd>: message`; 3 an internal error (a bug), also one line; 128+n from a signal
 * (interrupt.ts). Messages go through displayText: nothing from a file reaches the terminal raw.
 */
import { NmsparseError } from '../core/errors.js';
import { CliOutput, type CliIo, type Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { displayText } from './display.js';
import { commandHelp, PROGRAM, programHelp } from './help.js';
import { parseCommandLine } from './parse.js';
import { packageVersion } from './version.js';

/** The longest error line: enough for a path and a reason, never a 10 MB header string. */
const MAX_MESSAGE = 400;

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** One line for an error: the message of an NmsparseError or of a system call; anything else is a bug. */
function errorLine(err: unknown): { line: string; code: number } {
  if (err instanceof NmsparseError) return { line: err.message, code: 2 };
  // A failed system call (a file that vanished, a full disk) that escaped the io layer's wrapping.
  const sys = err as NodeJS.ErrnoException;
  if (sys instanceof Error && typeof sys.syscall === 'string') return { line: sys.message, code: 2 };
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { line: `internal error (please report it): ${message}`, code: 3 };
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const fail = (where: string, line: string, code: number) => {
    io.stderr.write(`${where}: ${displayText(line, MAX_MESSAGE)}\n`);
    return code;
  };
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(programHelp(COMMANDS, packageVersion()));
    return name === undefined ? 2 : 0;
  }
  if (name === 'help') {
    if (rest.length === 0) {
      io.stdout.write(programHelp(COMMANDS, packageVersion()));
      return 0;
    }
    const topic = findCommand(rest[0] as string);
    if (!topic || rest.length > 1) return fail(PROGRAM, `no help for '${rest.join(' ')}'; the commands are ${COMMANDS.map((c) => c.name).join(', ')}`, 2);
    io.stdout.write(commandHelp(topic));
    return 0;
  }
  const command = findCommand(name);
  if (!command) return fail(PROGRAM, `unknown command '${name}'; the commands are ${COMMANDS.map((c) => c.name).join(', ')} (see '${PROGRAM} --help')`, 2);

  const where = `${PROGRAM} ${command.name}`;
  try {
    const parsed = parseCommandLine(command, rest);
    if (parsed.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(parsed.args, new CliOutput(io));
  } catch (err) {
    const { line, code } = errorLine(err);
    const hint = err instanceof NmsparseError && err.code === 'E_OPTION' ? ` (see '${where} --help')` : '';
    return fail(where, line + hint, code);
  }
}
