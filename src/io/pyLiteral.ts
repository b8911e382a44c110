import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';

/** A Python int, kept as its digits so that no size rounds (shapes may claim more than 2^53). */
export class PyInt {
  constructor(readonly text: string) {}
}

/** The Python literals that appear in .npy headers. Tuples and lists are both arrays. */
export type PyValue = string | PyInt | boolean | null | PyValue[] | { [key: string]: PyValue };

/** The words of the grammar: constants and ints (any number of digits, read whole). */
const WORD = /True|False|None|-?\d+L?/y;

/** Structured dtypes nest lists of tuples; nothing legitimate goes deeper than this. */
const MAX_DEPTH = 16;

/**
 * Parses one Python literal (dict, tuple, list, str, int, True/False/None) as written by numpy's
 * header (repr of a dict). Anything else is E_FORMAT, with `what` naming the file in the message.
 */
export function parsePyLiteral(text: string, what: string): PyValue {
  let pos = 0;
  const fail = (reason: string): never => {
    throw new NmsparseError('E_FORMAT', `${what}: malformed header (${reason} at character ${pos}); re-save the file with numpy.save`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const expect = (ch: string) => {
    skipSpace();
    if (text[pos] !== ch) fail(`expected '${ch}'`);
    pos++;
  };

  const parseString = (): string => {
    const quote = text[pos];
    const end = text.indexOf(quote as string, pos + 1);
    if (end < 0) fail('unterminated string');
    const s = text.slice(pos + 1, end);
    if (s.includes('\\')) fail('escapes in strings are not supported');
    pos = end + 1;
    return s;
  };

  const parseSequence = (close: string, depth: number): PyValue[] => {
    const items: PyValue[] = [];
    for (;;) {
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return items;
      }
      items.push(parseValue(depth + 1));
      skipSpace();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== close) fail(`expected ',' or '${close}'`);
    }
  };

  const parseDict = (depth: number): { [key: string]: PyValue } => {
    const dict: { [key: string]: PyValue } = Object.create(null);
    for (;;) {
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return dict;
      }
      const key = parseValue(depth + 1);
      if (typeof key !== 'string') fail('dictionary keys must be strings');
      expect(':');
      if (Object.prototype.hasOwnProperty.call(dict, key as string)) fail(`duplicate key '${displayText(key as string, 60)}'`);
      dict[key as string] = parseValue(depth + 1);
      skipSpace();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== '}') fail("expected ',' or '}'");
    }
  };

  const parseValue = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipSpace();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      return parseDict(depth);
    }
    if (ch === '(' || ch === '[') {
      pos++;
      return parseSequence(ch === '(' ? ')' : ']', depth);
    }
    if (ch === "'" || ch === '"') return parseString();
    WORD.lastIndex = pos;
    const word = WORD.exec(text);
    if (!word) return fail('unexpected character');
    pos += (word[0] as string).length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return new PyInt((word[0] as string).replace('L', '')); // Python 2 numpy wrote long ints as 3L
  };

  const value = parseValue(0);
  skipSpace();
  if (pos !== text.length) fail('unexpected text after the dictionary');
  return value;
}
