/**
 * A strict JSON parser (RFC 8259) for file headers that come from untrusted files.
 *
 * Unlike JSON.parse it
 * - bounds nesting (MAX_DEPTH) before descending, so no input can exhaust the call stack;
 * - keeps every number's text (JsonNumber), so a reader can require plain integers ("8", not "8.0"
 *   or "2.56e2") and read them exactly with BigInt instead of rounding past 2^53;
 * - refuses duplicate object keys (readers that keep the first or the last would see different files);
 * - refuses lone surrogates in \u escapes (the text must be valid Unicode);
 * - keeps object members in file order, in a Map (no prototype keys).
 * Every failure is E_FORMAT with the character offset and no quoted input, so messages stay one short line.
 */
import { NmsparseError } from '../core/errors.js';

export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = string | boolean | null | JsonNumber | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

/** Deep enough for any header format here (safetensors needs 3); far below any stack limit. */
const MAX_DEPTH = 32;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export function parseStrictJson(text: string, what: string): JsonValue {
  let pos = 0;
  const fail = (reason: string): never => {
    throw new NmsparseError('E_FORMAT', `${what}: the header is not valid JSON (${reason} at character ${pos})`);
  };
  const skipSpace = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      pos++;
    }
  };

  const hex4 = (): number => {
    const digits = text.slice(pos, pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) fail('bad \\u escape');
    pos += 4;
    return parseInt(digits, 16);
  };

  const parseString = (): string => {
    pos++; // the opening quote
    let out = '';
    for (;;) {
      let end = pos;
      while (end < text.length) {
        const c = text.charCodeAt(end);
        if (c === 0x22 || c === 0x5c || c < 0x20) break;
        end++;
      }
      out += text.slice(pos, end);
      pos = end;
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in a string');
      const e = text[pos + 1] as string;
      pos += 2;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      if (e !== 'u') fail('bad escape');
      const unit = hex4();
      if (unit >= 0xdc00 && unit <= 0xdfff) fail('lone low surrogate');
      if (unit >= 0xd800 && unit <= 0xdbff) {
        if (text.slice(pos, pos + 2) !== '\\u') fail('lone high surrogate');
        pos += 2;
        const low = hex4();
        if (low < 0xdc00 || low > 0xdfff) fail('lone high surrogate');
        out += String.fromCharCode(unit, low);
      } else {
        out += String.fromCharCode(unit);
      }
    }
  };

  const parseArray = (depth: number): JsonValue[] => {
    pos++;
    const items: JsonValue[] = [];
    skipSpace();
    if (text[pos] === ']') {
      pos++;
      return items;
    }
    for (;;) {
      items.push(parseValue(depth + 1));
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return items;
      }
      if (text[pos] !== ',') fail("expected ',' or ']'");
      pos++;
    }
  };

  const parseObject = (depth: number): JsonObject => {
    pos++;
    const members: JsonObject = new Map();
    skipSpace();
    if (text[pos] === '}') {
      pos++;
      return members;
    }
    for (;;) {
      skipSpace();
      if (text[pos] !== '"') fail('expected a string key');
      const keyAt = pos;
      const key = parseString();
      if (members.has(key)) {
        pos = keyAt;
        fail('duplicate key');
      }
      skipSpace();
      if (text[pos] !== ':') fail("expected ':'");
      pos++;
      members.set(key, parseValue(depth + 1));
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return members;
      }
      if (text[pos] !== ',') fail("expected ',' or '}'");
      pos++;
    }
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nested more than ${MAX_DEPTH} deep`);
    skipSpace();
    const ch = text[pos];
    if (ch === '{') return parseObject(depth);
    if (ch === '[') return parseArray(depth);
    if (ch === '"') return parseString();
    const word = ch === 't' ? 'true' : ch === 'f' ? 'false' : ch === 'n' ? 'null' : undefined;
    if (word !== undefined) {
      if (!text.startsWith(word, pos)) fail('unexpected character');
      pos += word.length;
      return word === 'null' ? null : word === 'true';
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (!match) return fail('unexpected character');
    pos += match[0].length;
    return new JsonNumber(match[0]);
  };

  const value = parseValue(1);
  skipSpace();
  if (pos !== text.length) fail('unexpected text after the value');
  return value;
}
