import { parseArgs, type ParseArgsConfig } from 'node:util';
import { NmsparseError } from '../core/errors.js';

/** Parses argv strictly; any unknown flag or missing value is an E_OPTION usage error. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (err) {
    throw new NmsparseError('E_OPTION', `${(err as Error).message}; usage: ${usage}`);
  }
}

/** A required positive integer flag such as --n 2. */
export function integerFlag(values: Record<string, unknown>, name: string, usage: string): number {
  const raw = values[name];
  if (typeof raw !== 'string') throw new NmsparseError('E_OPTION', `--${name} is required; usage: ${usage}`);
  const x = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(x)) {
    throw new NmsparseError('E_OPTION', `--${name} must be a positive integer, got '${raw}'`);
  }
  return x;
}

/** A flag whose value must be one of `choices` (CLI spelling), mapped to its API value. */
export function choiceFlag<V extends string>(
  values: Record<string, unknown>,
  name: string,
  choices: Record<string, V>,
  fallback: V,
): V {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = typeof raw === 'string' ? choices[raw] : undefined;
  if (v === undefined) {
    throw new NmsparseError(
      'E_OPTION',
      `--${name} must be one of ${Object.keys(choices).join(', ')}; got '${String(raw)}'`,
    );
  }
  return v;
}
