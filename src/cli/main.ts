/**
 * The CLI entry point as a function: `run(argv, io)` parses, dispatches to a subcommand and turns
 * every failure into an exit code and at most one line on stderr, so that tests call it in-process.
 * Exit codes: 0 success; 1 a check failed (verify); 2 any error a command meets, reported as
 * `nmsparse <cmd>: message`; 3 only from bin.ts when run() itself fails; 128+n from a signal
 * (interrupt.ts). Messages go through displayText: nothing from a file reaches the terminal raw.
 */
import { NmsparseError } from '../core/errors.js';
import { CliOutput, type CliIo, type Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { displayText } from '../core/text.js';
import { commandHelp, PROGRAM, programHelp } from './help.js';
import { parseCommandLine } from './parse.js';
import { packageVersion } from './version.js';

/** The longest error line: enough for a path and a reason, never a 10 MB header string. */
const MAX_MESSAGE = 400;

/**
 * One line for an error. NmsparseErrors and failed system calls are the input's fault; anything else
 * a command throws (a RangeError from hostile input, a bug in a solver) is labelled an internal error
 * but is still exit 2 and one line: exit 3 is left to bin.ts, for a failure of run() itself.
 */
function errorLine(err: unknown): string {
  if (err instanceof NmsparseError) return err.message;
  // A failed system call (a file that vanished, a full disk) that escaped the io layer's wrapping.
  const sys = err as NodeJS.ErrnoException;
  if (sys instanceof Error && typeof sys.syscall === 'string') return sys.message;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return `internal error (please report it): ${message}`;
}

export async function run(argv: readonly string[], io: CliIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  const fail = (where: string, line: string) => {
    io.stderr.write(`${where}: ${displayText(line, MAX_MESSAGE)}\n`);
    return 2;
  };
  const findCommand = (name: string) => commands.find((c) => c.name === name);
  const names = commands.map((c) => c.name).join(', ');
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(programHelp(commands, packageVersion()));
    return name === undefined ? 2 : 0;
  }
  if (name === 'help') {
    if (rest.length === 0) {
      io.stdout.write(programHelp(commands, packageVersion()));
      return 0;
    }
    const topic = findCommand(rest[0] as string);
    if (!topic || rest.length > 1) return fail(PROGRAM, `no help for '${rest.join(' ')}'; the commands are ${names}`);
    io.stdout.write(commandHelp(topic));
    return 0;
  }
  const command = findCommand(name);
  if (!command) return fail(PROGRAM, `unknown command '${name}'; the commands are ${names} (see '${PROGRAM} --help')`);

  const where = `${PROGRAM} ${command.name}`;
  try {
    const parsed = parseCommandLine(command, rest);
    if (parsed.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(parsed.args, new CliOutput(io));
  } catch (err) {
    const hint = err instanceof NmsparseError && err.code === 'E_OPTION' ? ` (see '${where} --help')` : '';
    return fail(where, errorLine(err) + hint);
  }
}
