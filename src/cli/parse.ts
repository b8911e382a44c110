/**
 * Parses a subcommand's argv against its declarative spec (flags.ts). Rules: `--name value`,
 * `--name=value` and `-x value`; booleans take no value; `--` ends the options; a flag given twice is
 * an error unless it is declared repeatable; unknown flags, missing or malformed values, a wrong number
 * of operands, a missing required flag and a flag whose `needs` is not met are all E_OPTION errors of
 * one line. `--help`/`-h`
 * anywhere (not as another flag's value) wins over every error, so a half-typed command still gets help.
 */
import type { Command } from './command.js';
import { displayText } from '../core/text.js';
import { flagLabel, optionError, type DefaultedFlag, type Flag, type InputKind } from './flags.js';

export class ParsedArgs {
  constructor(
    private readonly flags: readonly Flag<unknown>[],
    private readonly values: ReadonlyMap<string, readonly unknown[]>,
    readonly operands: readonly string[],
    /** The words after `--`, for a command that takes a trailing command line. */
    readonly trailing: readonly string[] = [],
  ) {}

  has(flag: Flag<unknown>): boolean {
    return this.values.has(flag.name);
  }

  /** The flag's value, or its default when it was not given. */
  get<T>(flag: DefaultedFlag<T>): T;
  get<T>(flag: Flag<T>): T | undefined;
  get<T>(flag: Flag<T>): T | undefined {
    const given = this.values.get(flag.name);
    return given === undefined ? flag.default : (given[0] as T);
  }

  /** Every value of a repeatable flag, in the order given. */
  all<T>(flag: Flag<T>): T[] {
    return [...((this.values.get(flag.name) as T[] | undefined) ?? [])];
  }

  require<T>(flag: Flag<T>): T {
    const v = this.get(flag);
    if (v === undefined) throw optionError(`${flagLabel(flag)} ${flag.placeholder} is required`);
    return v;
  }

  /** Refuses flags that were given but do not apply to `kind` (the spec's `inputs`). */
  checkInputKind(kind: InputKind): void {
    for (const f of this.flags) {
      if (this.has(f) && f.inputs && !f.inputs.includes(kind)) {
        throw optionError(`${flagLabel(f)} applies to ${f.inputs.map((k) => `.${k}`).join(' and ')} inputs, not .${kind}`);
      }
    }
  }
}

export type ParseOutcome = { readonly help: true } | { readonly help: false; readonly args: ParsedArgs };

const HELP_TOKENS = new Set(['--help', '-h']);

function findFlag(command: Command, token: string): Flag<unknown> | undefined {
  if (token.startsWith('--')) return command.flags.find((f) => f.name === token.slice(2));
  return command.flags.find((f) => f.short !== undefined && f.short === token.slice(1));
}

/** Edit distance between two short strings (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((previous[j]) + 1, (row[j - 1]) + 1, (previous[j - 1]) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length];
}

/**
 * "unknown option --transposible (did you mean --transposable?)": the closest flag within 2 edits, for
 * long options of 4 letters or more (a short one like -x is within 2 edits of every 1-letter flag).
 */
function unknownOption(command: Command, spelled: string): Error {
  const name = spelled.slice(2);
  const close = spelled.startsWith('--') && name.length >= 4;
  const scored = close ? command.flags.map((f) => ({ f, d: editDistance(name, f.name) })).filter((x) => x.d <= 2) : [];
  const best = scored.sort((a, b) => a.d - b.d)[0];
  const hint = best ? ` (did you mean --${best.f.name}?)` : '';
  return optionError(`unknown option ${displayText(spelled, 40)}${hint}`);
}

export function parseCommandLine(command: Command, argv: readonly string[]): ParseOutcome {
  const values = new Map<string, unknown[]>();
  const operands: string[] = [];
  let trailing: string[] = [];
  let firstError: Error | undefined;
  const fail = (err: unknown) => {
    firstError ??= err as Error;
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (HELP_TOKENS.has(token)) return { help: true };
    if (token === '--') {
      if (command.trailing) trailing = argv.slice(i + 1);
      else operands.push(...argv.slice(i + 1));
      break;
    }
    const isFlag = token.startsWith('--') ? token.length > 2 : token.startsWith('-') && token.length > 1;
    if (!isFlag) {
      operands.push(token);
      continue;
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const spelled = eq > 0 ? token.slice(0, eq) : token;
    const flag = findFlag(command, spelled);
    if (!flag) {
      fail(unknownOption(command, spelled));
      continue;
    }
    let text: string;
    if (flag.kind === 'boolean') {
      if (eq > 0) fail(optionError(`--${flag.name} takes no value`));
      text = '';
    } else if (eq > 0) {
      text = token.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      // A following --option is not taken as a value (write --name=--x for that); -2 or - are values.
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        fail(optionError(`${flagLabel(flag)} needs a value (${flag.placeholder})`));
        continue;
      }
      text = next;
      i++;
    }
    const previous = values.get(flag.name);
    if (previous && !flag.repeatable) {
      fail(optionError(`${flagLabel(flag)} is given more than once; give it once`));
      continue;
    }
    try {
      const value = flag.parse(text);
      if (previous) previous.push(value);
      else values.set(flag.name, [value]);
    } catch (err) {
      fail(err);
    }
  }
  if (firstError) throw firstError;

  const alternative = command.alternativeOperands;
  const variadicFits = command.variadic === true && operands.length >= command.operands.length;
  if (operands.length !== command.operands.length && operands.length !== alternative?.length && !variadicFits) {
    const names = (list: readonly string[]) => (list.length === 0 ? 'no file arguments' : list.join(' and '));
    const expected = alternative ? `${names(command.operands)}, or ${names(alternative)}` : `${names(command.operands)}${command.variadic ? ' (one or more)' : ''}`;
    const got = operands.length === 0 ? 'none' : operands.map((o) => `'${displayText(o, 60)}'`).join(', ');
    throw optionError(`expected ${expected}, got ${got}`);
  }
  if (command.trailing && trailing.length === 0) throw optionError(`expected -- ${command.trailing} at the end`);
  const args = new ParsedArgs(command.flags, values, operands, trailing);
  for (const flag of command.flags) if (flag.required && !args.has(flag)) throw optionError(`${flagLabel(flag)} ${flag.placeholder} is required`);
  checkNeeds(command, args);
  return { help: false, args };
}

/** A flag that only means something with another one (and that one's value) refuses to stand alone. */
function checkNeeds(command: Command, args: ParsedArgs): void {
  for (const flag of command.flags) {
    if (!flag.needs || !args.has(flag)) continue;
    const needed = command.flags.find((f) => f.name === flag.needs?.name);
    if (!needed) throw new Error(`flag spec of ${command.name}: --${flag.name} needs unknown --${flag.needs.name}`);
    const wanted = flag.needs.value;
    const met = wanted === undefined ? args.has(needed) : String(args.get(needed)) === wanted;
    if (!met) throw optionError(`${flagLabel(flag)} applies only with --${needed.name}${wanted === undefined ? '' : ` ${wanted}`}`);
  }
}
