import { NmsparseError } from '../core/errors.js';
import type { FloatEncoding } from './floatCodec.js';
import { boundedElementCount } from './shape.js';

/** Every dtype of the safetensors format and its size in bytes. */
export const DTYPE_SIZE = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
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

export function isMaskDtype(dtype: SafetensorsDtype): dtype is 'U8' | 'BOOL' {
  return dtype === 'U8' || dtype === 'BOOL';
}

/** A tensor's place in a file; offsets are relative to the start of the data section. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
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

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function tensorError(what: string, name: string, problem: string): NmsparseError {
  return new NmsparseError('E_FORMAT', `${what}: tensor ${JSON.stringify(name)}: ${problem}`);
}

function parseMetadata(value: unknown, what: string): Metadata {
  if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new NmsparseError('E_FORMAT', `${what}: ${METADATA_KEY} must map strings to strings`);
  }
  return { ...(value as Metadata) };
}

function parseEntry(name: string, value: unknown, dataLength: number, what: string): TensorInfo {
  if (!isPlainObject(value)) throw tensorError(what, name, 'the entry is not an object');
  const extra = Object.keys(value).filter((k) => !ENTRY_KEYS.includes(k));
  if (extra.length > 0) throw tensorError(what, name, `unknown field(s) ${extra.join(', ')}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_SIZE, dtype)) {
    throw new NmsparseError(
      'E_DTYPE',
      `${what}: tensor ${JSON.stringify(name)}: unknown dtype ${JSON.stringify(dtype)}; known: ${Object.keys(DTYPE_SIZE).join(', ')}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw tensorError(what, name, `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw tensorError(what, name, `data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw tensorError(what, name, `data_offsets [${begin}, ${end}] lie outside the data section of ${dataLength} bytes`);
  }
  const itemSize = DTYPE_SIZE[dtype as SafetensorsDtype];
  const count = boundedElementCount(shape as number[], Math.floor(dataLength / itemSize));
  if (count * itemSize !== end - begin) {
    const needs = Number.isFinite(count) ? `${count * itemSize} bytes` : `more than the ${dataLength} bytes of data`;
    throw tensorError(what, name, `shape [${shape.join(', ')}] of ${dtype} needs ${needs} but data_offsets cover ${end - begin}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/**
 * Parses and strictly validates a safetensors JSON header for a data section of `dataLength` bytes:
 * known dtypes, shapes that match their byte ranges, and ranges that tile the data section exactly
 * (no overlap, no gap, nothing after the last tensor). Tensors come back in data order.
 */
export function parseHeader(headerBytes: Uint8Array, dataLength: number, what: string): { tensors: TensorInfo[]; metadata: Metadata } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new NmsparseError('E_FORMAT', `${what}: the header is not valid UTF-8 JSON (${(err as Error).message}); the file is damaged or not safetensors`);
  }
  if (!isPlainObject(json)) throw new NmsparseError('E_FORMAT', `${what}: the header is not a JSON object`);
  let metadata: Metadata = {};
  const tensors: TensorInfo[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, what);
    else tensors.push(parseEntry(name, value, dataLength, what));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  let previous: TensorInfo | undefined;
  for (const t of tensors) {
    if (t.begin < position) {
      throw tensorError(what, t.name, `its bytes [${t.begin}, ${t.end}) overlap tensor ${JSON.stringify(previous?.name)}`);
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

function validateEntries(entries: readonly TensorEntry[], metadata: Metadata): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (typeof e.name !== 'string' || e.name === '' || e.name === METADATA_KEY || seen.has(e.name)) {
      throw new NmsparseError('E_OPTION', `tensor name ${JSON.stringify(e.name)} is empty, reserved or repeated`);
    }
    seen.add(e.name);
    if (!Object.prototype.hasOwnProperty.call(DTYPE_SIZE, e.dtype)) {
      throw new NmsparseError('E_DTYPE', `tensor ${JSON.stringify(e.name)}: unknown dtype ${JSON.stringify(e.dtype)}`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every(isIndex)) {
      throw new NmsparseError('E_SHAPE', `tensor ${JSON.stringify(e.name)}: shape ${JSON.stringify(e.shape)} must be non-negative integers`);
    }
  }
  if (!isPlainObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) {
    throw new NmsparseError('E_OPTION', 'metadata must map strings to strings');
  }
}

export function byteLength(entry: TensorEntry): number {
  return entry.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[entry.dtype];
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
