/**
 * `--help` text, rendered from the command specs (command.ts, flags.ts): usage lines, one line per
 * flag with its accepted values, default, the input kinds it applies to and what it needs, then notes
 * and examples. docs/cli.md's flag tables come from the same `flagFacts`, so help and docs agree.
 */
import type { Command } from './command.js';
import type { Flag } from './flags.js';

export const PROGRAM = 'nmsparse';

/** The spelling of a flag in usage: -o, --output OUT.npy / --json. */
export function flagSyntax(flag: Flag<unknown>): string {
  const names = flag.short ? `-${flag.short}, --${flag.name}` : `--${flag.name}`;
  return flag.placeholder ? `${names} ${flag.placeholder}` : names;
}

/** The facts about a flag besides its help text: accepted values, default, scope, needs, repeatable. */
export function flagFacts(flag: Flag<unknown>, command: Command): string[] {
  const facts: string[] = [];
  if (flag.kind !== 'boolean' && flag.kind !== 'path') facts.push(flag.accepts);
  if (flag.required) facts.push('required');
  if (flag.default !== undefined && flag.kind !== 'boolean') facts.push(`default ${defaultText(flag)}`);
  if (flag.inputs && flag.inputs.length < command.inputs.length) facts.push(`${flag.inputs.map((k) => `.${k}`).join(', ')} only`);
  if (flag.needs) facts.push(`with --${flag.needs.name}${flag.needs.value === undefined ? '' : ` ${flag.needs.value}`}`);
  if (flag.repeatable) facts.push('repeatable');
  return facts;
}

/** A default as the user would type it: the first spelling that maps to the API value. */
export function defaultText(flag: Flag<unknown>): string {
  if (flag.defaultLabel !== undefined) return flag.defaultLabel;
  if (flag.kind === 'choice') {
    const spelling = flag.placeholder.split('|').find((s) => flag.parse(s) === flag.default);
    if (spelling !== undefined) return spelling;
  }
  return String(flag.default);
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

const HELP_WIDTH = 100;

export function commandHelp(command: Command): string {
  const lines = [`${PROGRAM} ${command.name}: ${command.summary}`, '', 'Usage:'];
  for (const u of command.usage) lines.push(`  ${PROGRAM} ${command.name} ${u}`);
  lines.push('', 'Options:');
  const syntax = command.flags.map(flagSyntax);
  const column = Math.min(34, Math.max(...syntax.map((s) => s.length)) + 4);
  command.flags.forEach((flag, i) => {
    const facts = flagFacts(flag, command);
    const text = facts.length > 0 ? `${flag.help} [${facts.join('; ')}]` : flag.help;
    const label = `  ${syntax[i] as string}`;
    const indent = ' '.repeat(column);
    const body = wrap(text, HELP_WIDTH - column, indent).join('\n');
    // A long flag spelling gets a line of its own, its help below it.
    if (label.length + 2 > column) lines.push(label, indent + body);
    else lines.push(label.padEnd(column) + body);
  });
  lines.push(`  ${'-h, --help'.padEnd(column - 2)}this help`);
  for (const note of command.notes ?? []) lines.push('', ...wrap(note, HELP_WIDTH, ''));
  if (command.examples.length > 0) {
    lines.push('', 'Examples:');
    for (const e of command.examples) lines.push(`  ${e}`);
  }
  return `${lines.join('\n')}\n`;
}

export const EXIT_CODES_TEXT =
  'Exit codes: 0 success; 1 verify found an invalid or missing mask, or audit a failing case; 2 any error, with one line on stderr ' +
  '(usage, input, or an internal error to report); 3 the CLI itself failed; 128+n stopped by signal n (130 for Ctrl-C).';

export function programHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const lines = [
    `${PROGRAM} ${version}: N:M and transposable N:M sparsity masks`,
    '',
    `Usage: ${PROGRAM} <command> [options]     ${PROGRAM} <command> --help     ${PROGRAM} help <command>`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options: --help (-h), --version (-V)',
    '',
    ...wrap(EXIT_CODES_TEXT, HELP_WIDTH, ''),
  ];
  return `${lines.join('\n')}\n`;
}
