/**
 * The declarative flag spec. Every subcommand lists its flags as data: name, value type (with its
 * range or choices), default, help text, the input kinds it applies to, and which other flag it needs.
 * Parsing (parse.ts), validation, `--help` (help.ts) and the tables of docs/cli.md are all derived from
 * these tables, so they cannot drift apart. Value parsers are strict: an integer is plain decimal
 * digits (no hex, exponent, sign of zero or surrounding space) inside a stated range.
 */
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';

/** What a command reads, chosen from the input file's magic bytes (io's detectFormat). */
export type InputKind = 'npy' | 'safetensors';

export type ValueKind = 'string' | 'path' | 'integer' | 'number' | 'choice' | 'regex' | 'boolean';

export interface Flag<T> {
  /** Long name, without the leading --. */
  readonly name: string;
  /** One-letter alias, without the leading -. */
  readonly short?: string;
  readonly kind: ValueKind;
  /** How the value is written in usage lines: N, OUT.npy, REGEX (empty for booleans). */
  readonly placeholder: string;
  /** The accepted values in words: 'an integer from 1 to 1024', 'one of exact, tsenor, greedy'. */
  readonly accepts: string;
  readonly help: string;
  readonly default?: T;
  /** How help writes the default when String(default) would not read well (5GB, not 5000000000). */
  readonly defaultLabel?: string;
  /** Must be given (a required flag has no default). */
  readonly required?: boolean;
  /** The input kinds it applies to (default: all the command reads). */
  readonly inputs?: readonly InputKind[];
  /** May be given more than once: the values are collected in order. */
  readonly repeatable?: boolean;
  /** Only meaningful together with another flag (and that flag's value, when given). */
  readonly needs?: { readonly name: string; readonly value?: string };
  /** Parses one raw value; throws E_OPTION naming the flag on a bad value. */
  parse(text: string): T;
}

type Common = Pick<Flag<unknown>, 'name' | 'short' | 'help' | 'inputs' | 'repeatable' | 'needs' | 'required'> & { placeholder?: string };

export function optionError(message: string): NmsparseError {
  return new NmsparseError('E_OPTION', message);
}

/** How a flag is named in messages: --size, or -o/--output. */
export function flagLabel(flag: Pick<Flag<unknown>, 'name' | 'short'>): string {
  return flag.short ? `-${flag.short}/--${flag.name}` : `--${flag.name}`;
}

function badValue(name: string, text: string, accepts: string): NmsparseError {
  return optionError(`--${name} must be ${accepts}, got '${displayText(text, 40)}'`);
}

const DECIMAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/**
 * The one strict integer parser of the CLI: plain decimal digits with an optional minus sign, inside
 * [min, max]. '0x40', '3.2e1', ' 64', '064', '+1' and '1e9' are refused, as is anything past 2^53.
 */
export function parseInteger(text: string, name: string, min: number, max: number, accepts = `an integer from ${min} to ${max}`): number {
  if (!DECIMAL_INTEGER.test(text)) throw badValue(name, text, `${accepts} (decimal digits only)`);
  const x = Number(text);
  if (!Number.isSafeInteger(x) || x < min || x > max) throw badValue(name, text, accepts);
  return x;
}

const DECIMAL_NUMBER = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/;

/** A finite decimal number in (min, max] (written out, exponent allowed; no sign, hex or Infinity). */
export function parsePositiveNumber(text: string, name: string, max: number): number {
  const accepts = `a number greater than 0 and at most ${max}`;
  const x = DECIMAL_NUMBER.test(text) ? Number(text) : NaN;
  if (!(x > 0 && x <= max)) throw badValue(name, text, accepts);
  return x;
}

function make<T>(c: Common, kind: ValueKind, placeholder: string, accepts: string, parse: (text: string) => T, defaultValue?: T): Flag<T> {
  return { ...c, kind, placeholder: c.placeholder ?? placeholder, accepts, parse, ...(defaultValue === undefined ? {} : { default: defaultValue }) };
}

/** A flag whose declared default makes its value always present. */
export type DefaultedFlag<T> = Flag<T> & { readonly default: T };

interface IntegerRange {
  min: number;
  max: number;
  /** Only multiples of this are accepted (default 1). */
  multipleOf?: number;
}

export function integerFlag(c: Common & IntegerRange & { default: number }): DefaultedFlag<number>;
export function integerFlag(c: Common & IntegerRange): Flag<number>;
export function integerFlag(c: Common & IntegerRange & { default?: number }): Flag<number> {
  const step = c.multipleOf ?? 1;
  const accepts = step === 1 ? `an integer from ${c.min} to ${c.max}` : `a multiple of ${step} from ${c.min} to ${c.max}`;
  const parse = (text: string) => {
    const x = parseInteger(text, c.name, c.min, c.max, accepts);
    if (x % step !== 0) throw badValue(c.name, text, accepts);
    return x;
  };
  return make(c, 'integer', 'N', accepts, parse, c.default);
}

export function numberFlag(c: Common & { max: number; default: number }): DefaultedFlag<number>;
export function numberFlag(c: Common & { max: number }): Flag<number>;
export function numberFlag(c: Common & { max: number; default?: number }): Flag<number> {
  return make(c, 'number', 'X', `a number greater than 0 and at most ${c.max}`, (t) => parsePositiveNumber(t, c.name, c.max), c.default);
}

/**
 * One of a fixed set of spellings, each mapped to the API's value; several spellings may map to one
 * value (--fill at-most and atMost). The first spelling of each value is the one help shows first.
 */
export function choiceFlag<V extends string>(c: Common & { choices: Readonly<Record<string, V>>; default: V }): DefaultedFlag<V> {
  const spellings = Object.keys(c.choices);
  const accepts = `one of ${spellings.join(', ')}`;
  const parse = (text: string): V => {
    const v = Object.hasOwn(c.choices, text) ? c.choices[text] : undefined;
    if (v === undefined) throw badValue(c.name, text, accepts);
    return v;
  };
  return make(c, 'choice', spellings.join('|'), accepts, parse, c.default) as DefaultedFlag<V>;
}

export function booleanFlag(c: Common): DefaultedFlag<boolean> {
  return make(c, 'boolean', '', 'no value', () => true, false) as DefaultedFlag<boolean>;
}

/** A file name: any non-empty text. */
export function pathFlag(c: Common & { placeholder: string }): Flag<string> {
  return make(c, 'path', c.placeholder, 'a file name', (text) => {
    if (text === '') throw optionError(`${flagLabel(c)} needs a file name, got an empty string`);
    return text;
  });
}

/** A JavaScript regular expression, matched against tensor names. */
export function regexFlag(c: Common): Flag<RegExp> {
  return make(c, 'regex', 'REGEX', 'a regular expression', (text) => {
    try {
      return new RegExp(text);
    } catch (err) {
      throw optionError(`--${c.name} '${displayText(text, 40)}' is not a valid regular expression (${(err as Error).message})`);
    }
  });
}

/** A value with a syntax of its own (--shard i/k): `parse` checks it and throws E_OPTION saying what is wrong. */
export function customFlag<T>(c: Common & { placeholder: string; accepts: string; parse: (text: string) => T }): Flag<T> {
  return make(c, 'string', c.placeholder, c.accepts, c.parse);
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };
const SIZE_TEXT = /^([1-9][0-9]*)(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;

/** A size in bytes: decimal digits and an optional unit (KB = 1000 B, KiB = 1024 B), at least 1 B and below 2^53 B. */
export function sizeFlag(c: Common & { default: number; defaultLabel: string }): DefaultedFlag<number> {
  const accepts = 'a size such as 5GB, 500MB, 2GiB or 1000000 (bytes)';
  const parse = (text: string) => {
    const match = SIZE_TEXT.exec(text);
    const bytes = match ? Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] as number) : NaN;
    if (!Number.isSafeInteger(bytes)) throw badValue(c.name, text, accepts);
    return bytes;
  };
  return { ...make(c, 'string', 'SIZE', accepts, parse, c.default), defaultLabel: c.defaultLabel } as DefaultedFlag<number>;
}
