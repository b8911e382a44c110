import { readFile } from 'node:fs/promises';
import { NmsparseError } from '../core/errors.js';
import { writeBytesAtomic, type AtomicWriteOptions } from './atomicWrite.js';
import { decodeFloats, encodeFloats, type FloatEncoding } from './floatCodec.js';
import { parsePyLiteral, type PyValue } from './pyLiteral.js';
import { boundedElementCount } from './shape.js';

export type NpyDtype = 'f32' | 'f64' | 'f16' | 'u8' | 'bool';

/** A decoded .npy array: float dtypes as Float32Array, u8 and bool as Uint8Array (bool as 0/1). */
export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  data: Float32Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy type codes (after the byte-order character) and what they mean here. */
const DESCR_DTYPES: Record<string, NpyDtype> = { f4: 'f32', f8: 'f64', f2: 'f16', u1: 'u8', b1: 'bool' };
const ITEM_SIZE: Record<NpyDtype, number> = { f32: 4, f64: 8, f16: 2, u8: 1, bool: 1 };
const FLOAT_ENCODING: Partial<Record<NpyDtype, FloatEncoding>> = { f32: 'f32', f64: 'f64', f16: 'f16' };
const WRITE_DESCR: Record<'f32' | 'u8' | 'bool', string> = { f32: '<f4', u8: '|u1', bool: '|b1' };

function formatError(what: string, message: string): NmsparseError {
  return new NmsparseError('E_FORMAT', `${what}: ${message}`);
}

function parseDescr(descr: PyValue, what: string): NpyDtype {
  if (typeof descr !== 'string') {
    throw new NmsparseError('E_DTYPE', `${what}: structured (record) arrays are not supported; save a plain float or uint8 array`);
  }
  const order = descr[0];
  const dtype = DESCR_DTYPES[descr.slice(1)];
  if (dtype === undefined) {
    throw new NmsparseError(
      'E_DTYPE',
      `${what}: dtype '${descr}' is not supported; use float32, float64, float16, uint8 or bool (numpy: arr.astype(np.float32))`,
    );
  }
  if (order === '>') {
    throw new NmsparseError('E_DTYPE', `${what}: dtype '${descr}' is big-endian; convert it with arr.astype('<${descr.slice(1)}')`);
  }
  if (order !== '<' && !(order === '|' && ITEM_SIZE[dtype] === 1)) {
    throw new NmsparseError('E_DTYPE', `${what}: dtype '${descr}' has byte order '${order}'; re-save it little-endian ('<')`);
  }
  return dtype;
}

function parseShape(shape: PyValue, what: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw formatError(what, `shape must be a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/** Reads the header of a .npy file: dtype, shape and where the data starts. */
function parseHeader(bytes: Uint8Array, what: string): { dtype: NpyDtype; shape: number[]; dataOffset: number } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw formatError(what, 'not a .npy file (the magic string \\x93NUMPY is missing)');
  }
  const major = bytes[6] as number;
  if (major < 1 || major > 3) {
    throw formatError(what, `.npy format version ${major}.${bytes[7]} is not supported (1.0, 2.0 and 3.0 are)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthSize) throw formatError(what, 'truncated header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthSize + headerLength;
  if (dataOffset > bytes.length) {
    throw formatError(what, `the header claims ${headerLength} bytes but the file has only ${bytes.length}; the file is truncated`);
  }
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(8 + lengthSize, dataOffset));
  } catch {
    throw formatError(what, 'the header is not valid text');
  }
  const header = parsePyLiteral(text, what);
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw formatError(what, 'the header is not a dictionary');
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in header)) throw formatError(what, `the header has no '${key}'`);
  }
  const extra = Object.keys(header).filter((k) => !['descr', 'fortran_order', 'shape'].includes(k));
  if (extra.length > 0) throw formatError(what, `unexpected header keys ${extra.join(', ')}`);
  if (header.fortran_order !== false) {
    if (header.fortran_order === true) {
      throw formatError(what, 'Fortran (column-major) order is not supported; save with np.ascontiguousarray(arr)');
    }
    throw formatError(what, "'fortran_order' must be True or False");
  }
  return { dtype: parseDescr(header.descr as PyValue, what), shape: parseShape(header.shape as PyValue, what), dataOffset };
}

/**
 * Parses a .npy file (format 1.0, 2.0 or 3.0; little-endian; C order). Float dtypes are decoded to
 * f32, u8 and bool to bytes (bool as 0/1). The data must fill the file exactly.
 */
export function parseNpy(bytes: Uint8Array, what = '.npy data'): NpyArray {
  const { dtype, shape, dataOffset } = parseHeader(bytes, what);
  const available = bytes.length - dataOffset;
  const itemSize = ITEM_SIZE[dtype];
  const count = boundedElementCount(shape, Math.floor(available / itemSize));
  const expected = count * itemSize;
  if (expected !== available) {
    const needs = Number.isFinite(expected) ? String(expected) : `more than ${available}`;
    const problem = expected > available ? 'truncated' : 'longer than its header says';
    throw formatError(
      what,
      `the data is ${problem}: shape (${shape.join(', ')}) of ${dtype} needs ${needs} bytes, the file has ${available}`,
    );
  }
  const raw = bytes.subarray(dataOffset);
  const encoding = FLOAT_ENCODING[dtype];
  if (encoding) return { shape, dtype, data: decodeFloats(raw, encoding) };
  const data = new Uint8Array(raw);
  if (dtype === 'bool') for (let i = 0; i < data.length; i++) data[i] = data[i] === 0 ? 0 : 1;
  return { shape, dtype, data };
}

function shapeText(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Encodes an array as .npy (version 1.0, or 2.0 when the header is too long for 1.0). */
export function encodeNpy(data: Float32Array | Uint8Array, shape: number[], dtype: 'f32' | 'u8' | 'bool'): Uint8Array {
  if (!(dtype in WRITE_DESCR)) {
    throw new NmsparseError('E_DTYPE', `cannot write .npy dtype ${JSON.stringify(dtype)}; use 'f32', 'u8' or 'bool'`);
  }
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new NmsparseError('E_SHAPE', `shape ${JSON.stringify(shape)} must be non-negative integers`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new NmsparseError('E_SHAPE', `data has ${data.length} values but shape ${shapeText(shape)} needs ${count}`);
  }
  const isFloat = dtype === 'f32';
  const rightType = isFloat ? data instanceof Float32Array : data instanceof Uint8Array;
  if (!rightType) {
    throw new NmsparseError('E_DTYPE', `dtype ${dtype} needs a ${isFloat ? 'Float32Array' : 'Uint8Array'}`);
  }
  if (dtype === 'bool' && (data as Uint8Array).some((x) => x > 1)) {
    throw new NmsparseError('E_MASK', 'a bool array may hold only 0 and 1');
  }
  const dict = `{'descr': '${WRITE_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  // Pad with spaces so that the data starts on a 64-byte boundary; the header ends with '\n'.
  const paddedLength = (prefix: number) => Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix;
  const major = paddedLength(10) > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const headerLength = paddedLength(prefix);
  const payload = isFloat ? encodeFloats(data as Float32Array, 'f32') : (data as Uint8Array);
  const out = new Uint8Array(prefix + headerLength + payload.length);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  const text = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  out.set(payload, prefix + headerLength);
  return out;
}

/** Reads and parses a .npy file; E_IO when it cannot be read. */
export async function readNpyFile(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NmsparseError('E_IO', `cannot read ${path} (${code ?? String(err)}); check the path and permissions`, {
      cause: err,
    });
  }
  return parseNpy(bytes, path);
}

/** Encodes and writes a .npy file atomically (refuses to overwrite without force, or to write an input). */
export async function writeNpyFile(
  path: string,
  data: Float32Array | Uint8Array,
  shape: number[],
  dtype: 'f32' | 'u8' | 'bool',
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeBytesAtomic(path, encodeNpy(data, shape, dtype), options);
}
