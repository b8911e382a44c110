/**
 * The safetensors header: an 8-byte little-endian length, then a JSON object mapping tensor names to
 * {dtype, shape, data_offsets} (and an optional "__metadata__" string map), then the data section.
 *
 * Parsing follows the reference library (huggingface/safetensors) where it is stricter than JSON.parse
 * and is stricter still where a lax reading could hide data: the header starts with '{' (no BOM);
 * shapes and offsets are plain JSON integers (no `8.0`, `2.56e2`), read exactly; nesting is bounded;
 * duplicate keys, the empty tensor name and unknown dtype strings are refused; byte ranges tile the data
 * section exactly. Tensors of dtypes nmsparse does not compute with (C64, F8_*, I32, ...) are listed as
 * unsupported rather than failing the file. Names and dtypes reach messages only through displayText.
 */
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import type { FloatEncoding } from './floatCodec.js';
import { COUNT_CAP, dimsText, elementCount } from './shape.js';
import { JsonNumber, parseStrictJson, type JsonObject, type JsonValue } from './strictJson.js';

/**
 * Every dtype of the safetensors format (as of safetensors 0.6) and its size in bytes per element;
 * F4 and F6_* pack elements below a byte (0.5 and 0.75 bytes), so their tensors must hold a whole
 * number of bytes. A dtype string not listed here makes the header invalid, as in the reference library.
 */
export const DTYPE_SIZE = {
  BOOL: 1,
  F4: 0.5,
  F6_E2M3: 0.75,
  F6_E3M2: 0.75,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  C64: 8,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_SIZE;

/** The float dtypes nmsparse computes with (as f32), and their encodings. */
export const FLOAT_DTYPES = { F16: 'f16', BF16: 'bf16', F32: 'f32', F64: 'f64' } as const satisfies Record<
  string,
  FloatEncoding
>;
export type FloatDtype = keyof typeof FLOAT_DTYPES;

export function isFloatDtype(dtype: SafetensorsDtype): dtype is FloatDtype {
  return dtype in FLOAT_DTYPES;
}

/** The dtypes a mask tensor may have: bytes, or floats holding exactly 0 and 1 (docs/formats.md). */
export type MaskDtype = 'U8' | 'BOOL' | FloatDtype;

export function isMaskDtype(dtype: SafetensorsDtype): dtype is MaskDtype {
  return dtype === 'U8' || dtype === 'BOOL' || isFloatDtype(dtype);
}

/** Why nmsparse reads no values of a tensor of this dtype, or undefined when it reads them. */
function unsupportedReason(dtype: SafetensorsDtype): string | undefined {
  if (isMaskDtype(dtype)) return undefined;
  return `nmsparse reads F16, BF16, F32, F64 (weights) and U8, BOOL (masks), not ${dtype}`;
}

/** A tensor's place in a file; offsets are relative to the start of the data section. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
  /** Whether nmsparse can read this tensor's values (its bytes can always be copied). */
  supported: boolean;
  /** Why not, when `supported` is false. */
  unsupportedReason?: string;
}

/** What a writer needs to know about a tensor before any data. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
}

export type Metadata = Record<string, string>;

/** The safetensors reference implementation's limit; real headers are far smaller. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';
const ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'];
const PLAIN_INTEGER = /^(?:0|[1-9]\d*)$/;

function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isObject(x: JsonValue): x is JsonObject {
  return x instanceof Map;
}

/** A tensor name or key as it may appear in a message. */
export function quoted(name: string): string {
  return `"${displayText(name, 120)}"`;
}

function tensorError(what: string, name: string, problem: string): NmsparseError {
  return new NmsparseError('E_FORMAT', `${what}: tensor ${quoted(name)}: ${problem}`);
}

/** A short description of a JSON value that is not what was expected. */
function describe(value: JsonValue): string {
  if (value instanceof JsonNumber) return `the number ${displayText(value.text, 40)}`;
  if (typeof value === 'string') return `the string ${quoted(value)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (isObject(value)) return 'an object';
  return String(value);
}

/**
 * A non-negative integer field, written as a plain JSON integer (as the reference library requires:
 * `8.0`, `2.56e2` and `-0` are refused) and no larger than 2^53 − 1, read exactly.
 */
function plainInteger(value: JsonValue, field: string, what: string, name: string): number {
  if (!(value instanceof JsonNumber) || !PLAIN_INTEGER.test(value.text)) {
    const hint = value instanceof JsonNumber ? ' (integers are written without sign, fraction or exponent)' : '';
    throw tensorError(what, name, `${field} must be a non-negative integer, got ${describe(value)}${hint}`);
  }
  // Up to 15 digits is always below 2^53; only longer numbers need the exact comparison.
  if (value.text.length > 15 && BigInt(value.text) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw tensorError(what, name, `${field} ${displayText(value.text, 60)} is larger than 2^53 − 1, more than any file holds`);
  }
  return Number(value.text);
}

function integerList(value: JsonValue, field: string, what: string, name: string): number[] {
  if (!Array.isArray(value)) throw tensorError(what, name, `${field} must be a list of integers, got ${describe(value)}`);
  return value.map((x, i) => plainInteger(x, `${field}[${i}]`, what, name));
}

function parseMetadata(value: JsonValue, what: string): Metadata {
  if (!isObject(value) || ![...value.values()].every((v) => typeof v === 'string')) {
    throw new NmsparseError('E_FORMAT', `${what}: ${METADATA_KEY} must map strings to strings`);
  }
  return Object.fromEntries(value) as Metadata; // own data properties: a key "__proto__" stays a key
}

function parseEntry(name: string, value: JsonValue, dataLength: number, what: string): TensorInfo {
  if (name === '') throw new NmsparseError('E_FORMAT', `${what}: a tensor has the empty name ""; every tensor needs a name`);
  if (!isObject(value)) throw tensorError(what, name, `the entry must be an object, got ${describe(value)}`);
  const extra = [...value.keys()].filter((k) => !ENTRY_KEYS.includes(k));
  if (extra.length > 0) throw tensorError(what, name, `unknown field(s) ${displayText(extra.join(', '), 120)}`);
  const missing = ENTRY_KEYS.filter((k) => !value.has(k));
  if (missing.length > 0) throw tensorError(what, name, `missing field(s) ${missing.join(', ')}`);
  const dtype = value.get('dtype') as JsonValue;
  if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_SIZE, dtype)) {
    throw new NmsparseError(
      'E_DTYPE',
      `${what}: tensor ${quoted(name)}: unknown dtype ${typeof dtype === 'string' ? quoted(dtype) : describe(dtype)}; known: ${Object.keys(DTYPE_SIZE).join(', ')}`,
    );
  }
  const shape = integerList(value.get('shape') as JsonValue, 'shape', what, name);
  const offsets = integerList(value.get('data_offsets') as JsonValue, 'data_offsets', what, name);
  if (offsets.length !== 2) throw tensorError(what, name, `data_offsets must be [begin, end], got a list of ${offsets.length}`);
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw tensorError(what, name, `data_offsets [${begin}, ${end}] lie outside the data section of ${dataLength} bytes`);
  }
  const known = dtype as SafetensorsDtype;
  const count = elementCount(shape);
  const bytes = exactByteLength(count, known);
  if (count === COUNT_CAP || bytes !== BigInt(end - begin)) {
    const needs = count === COUNT_CAP ? 'more than 2^64 elements' : bytes === undefined ? 'a fraction of a byte' : `${bytes} bytes`;
    throw tensorError(what, name, `shape [${dimsText(shape)}] of ${dtype} needs ${needs} but data_offsets cover ${end - begin}`);
  }
  const reason = unsupportedReason(known);
  return { name, dtype: known, shape, begin, end, supported: reason === undefined, ...(reason ? { unsupportedReason: reason } : {}) };
}

/** The bytes `count` elements of this dtype take, exactly; undefined when it is not a whole number. */
function exactByteLength(count: bigint, dtype: SafetensorsDtype): bigint | undefined {
  const bits = count * BigInt(DTYPE_SIZE[dtype] * 8);
  return bits % 8n === 0n ? bits / 8n : undefined;
}

/** The header text, refusing what the reference library refuses before JSON: a BOM, a first byte other than '{'. */
function headerText(headerBytes: Uint8Array, what: string): string {
  if (headerBytes[0] === 0xef && headerBytes[1] === 0xbb && headerBytes[2] === 0xbf) {
    throw new NmsparseError('E_FORMAT', `${what}: the header starts with a UTF-8 byte order mark; safetensors headers start with '{'`);
  }
  if (headerBytes[0] !== 0x7b) {
    throw new NmsparseError('E_FORMAT', `${what}: the header does not start with '{'; the file is damaged or not safetensors`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new NmsparseError('E_FORMAT', `${what}: the header is not valid UTF-8; the file is damaged or not safetensors`);
  }
}

/**
 * Parses and strictly validates a safetensors JSON header for a data section of `dataLength` bytes:
 * known dtypes, plain integer shapes and offsets, shapes that match their byte ranges, and ranges that
 * tile the data section exactly (no overlap, no gap, nothing after the last tensor). Tensors of dtypes
 * nmsparse does not compute with are listed with `supported: false`. Tensors come back in data order.
 */
export function parseHeader(headerBytes: Uint8Array, dataLength: number, what: string): { tensors: TensorInfo[]; metadata: Metadata } {
  const json = parseStrictJson(headerText(headerBytes, what), what);
  if (!isObject(json)) throw new NmsparseError('E_FORMAT', `${what}: the header is not a JSON object`);
  let metadata: Metadata = {};
  const tensors: TensorInfo[] = [];
  for (const [name, value] of json) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, what);
    else tensors.push(parseEntry(name, value, dataLength, what));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  let previous: TensorInfo | undefined;
  for (const t of tensors) {
    if (t.begin < position) {
      throw tensorError(what, t.name, `its bytes [${t.begin}, ${t.end}) overlap tensor ${quoted(previous?.name ?? '')}`);
    }
    if (t.begin > position) {
      throw tensorError(what, t.name, `bytes [${position}, ${t.begin}) before it belong to no tensor (a gap that could hide data)`);
    }
    position = t.end;
    previous = t;
  }
  if (position !== dataLength) {
    throw new NmsparseError('E_FORMAT', `${what}: ${dataLength - position} bytes after the last tensor belong to no tensor; the file is damaged`);
  }
  return { tensors, metadata };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function validateEntries(entries: readonly TensorEntry[], metadata: Metadata): void {
  const seen = new Set<string>();
  for (const e of entries) {
    const name = typeof e.name === 'string' ? quoted(e.name) : typeof e.name;
    if (typeof e.name !== 'string' || e.name === '' || e.name === METADATA_KEY || seen.has(e.name) || LONE_SURROGATE.test(e.name)) {
      throw new NmsparseError('E_OPTION', `tensor name ${name} is empty, reserved, repeated or not valid Unicode`);
    }
    seen.add(e.name);
    if (typeof e.dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_SIZE, e.dtype)) {
      throw new NmsparseError('E_DTYPE', `tensor ${name}: unknown dtype ${typeof e.dtype === 'string' ? quoted(e.dtype) : typeof e.dtype}`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every(isIndex)) {
      throw new NmsparseError('E_SHAPE', `tensor ${name}: shape must be a list of non-negative integers`);
    }
    const bytes = exactByteLength(elementCount(e.shape), e.dtype);
    if (bytes === undefined || bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new NmsparseError('E_SHAPE', `tensor ${name}: shape [${dimsText(e.shape)}] of ${e.dtype} is not a whole number of bytes below 2^53`);
    }
  }
  const isStringMap = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata);
  if (!isStringMap || !Object.values(metadata).every((v) => typeof v === 'string')) {
    throw new NmsparseError('E_OPTION', 'metadata must map strings to strings');
  }
}

/** The bytes of a tensor's data (entries are validated first, so the count is whole and safe). */
export function byteLength(entry: TensorEntry): number {
  return Number(exactByteLength(elementCount(entry.shape), entry.dtype));
}

/**
 * The bytes that start a safetensors file for these tensors, laid out in the given order: the 8-byte
 * little-endian header length, then the JSON header padded with spaces so the data starts 8-aligned.
 */
export function serializeHeader(entries: readonly TensorEntry[], metadata: Metadata = {}): Uint8Array {
  validateEntries(entries, metadata);
  const header: Record<string, unknown> = Object.create(null); // a tensor may be named __proto__
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const e of entries) {
    const end = offset + byteLength(e);
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}
