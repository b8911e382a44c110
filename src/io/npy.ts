/**
 * The .npy format (numpy's `np.save`), versions 1.0, 2.0 and 3.0: the magic `\x93NUMPY`, a version, a
 * little-endian header length (2 bytes in 1.0, 4 after), a Python dict literal with `descr`,
 * `fortran_order` and `shape`, then the raw C-order data, which must fill the file exactly.
 *
 * Invariants: sizes are computed exactly (BigInt), so a truncated file reports the true byte counts and
 * shapes past 2^53 are refused with their exact digits; files are read by ranges, so sizes past 2 GiB
 * read like any other; text from the file reaches messages only through displayText. Matrices decode
 * to f32; masks keep the stored precision (f64 stays f64, bool bytes stay as stored) so the mask rule
 * (core/maskValue.ts) judges the stored value. docs/formats.md describes what is read and written.
 */
import { NmsparseError } from '../core/errors.js';
import { isMaskValue } from '../core/maskValue.js';
import { displayText } from '../core/text.js';
import { writeBytesAtomic, type AtomicWriteOptions } from './atomicWrite.js';
import { withFileSource, type ByteSource } from './byteSource.js';
import { decodeF64, decodeFloats, encodeFloats, type FloatEncoding } from './floatCodec.js';
import { parsePyLiteral, PyInt, type PyValue } from './pyLiteral.js';
import { COUNT_CAP, dimsText, elementCount } from './shape.js';

export type NpyDtype = 'f32' | 'f64' | 'f16' | 'u8' | 'bool';

/** A decoded .npy array: float dtypes as Float32Array, u8 and bool as the stored bytes. */
export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  data: Float32Array | Uint8Array;
}

/** A .npy mask at its stored precision: f64 as Float64Array, f32/f16 as Float32Array, u8/bool as bytes. */
export interface NpyMask {
  shape: number[];
  dtype: NpyDtype;
  data: Float64Array | Float32Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy refuses headers over 10,000 bytes by default (max_header_size); plain arrays need ~128. */
const MAX_NPY_HEADER_BYTES = 1 << 20;

/** numpy type codes (after the byte-order character) and what they mean here. */
const DESCR_DTYPES: Record<string, NpyDtype> = { f4: 'f32', f8: 'f64', f2: 'f16', u1: 'u8', b1: 'bool' };
const ITEM_SIZE: Record<NpyDtype, number> = { f32: 4, f64: 8, f16: 2, u8: 1, bool: 1 };
const FLOAT_ENCODING: Partial<Record<NpyDtype, FloatEncoding>> = { f32: 'f32', f64: 'f64', f16: 'f16' };
const WRITE_DESCR: Record<'f32' | 'u8' | 'bool', string> = { f32: '<f4', u8: '|u1', bool: '|b1' };

/** Elements converted per step when the stored type differs from the decoded one (bounds scratch memory). */
const CONVERT_CHUNK = 1 << 22;

/** How values come out: matrices as f32, masks at their stored precision. */
type Precision = 'f32' | 'stored';

function formatError(what: string, message: string): NmsparseError {
  return new NmsparseError('E_FORMAT', `${what}: ${message}`);
}

function parseDescr(descr: PyValue, what: string): NpyDtype {
  if (typeof descr !== 'string') {
    throw new NmsparseError('E_DTYPE', `${what}: structured (record) arrays are not supported; save a plain float or uint8 array`);
  }
  const shown = displayText(descr, 40);
  const order = descr[0];
  const dtype = DESCR_DTYPES[descr.slice(1)];
  if (dtype === undefined) {
    throw new NmsparseError(
      'E_DTYPE',
      `${what}: dtype '${shown}' is not supported; use float32, float64, float16, uint8 or bool (numpy: arr.astype(np.float32))`,
    );
  }
  if (order === '>') {
    throw new NmsparseError('E_DTYPE', `${what}: dtype '${shown}' is big-endian; convert it with arr.astype('<${descr.slice(1)}')`);
  }
  if (order !== '<' && !(order === '|' && ITEM_SIZE[dtype] === 1)) {
    throw new NmsparseError('E_DTYPE', `${what}: dtype '${shown}' has byte order '${displayText(order ?? '', 8)}'; re-save it little-endian ('<')`);
  }
  return dtype;
}

/** The shape's dimensions, each a plain non-negative int no larger than 2^53 − 1 (read from its digits). */
function parseShape(shape: PyValue, what: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => d instanceof PyInt && !d.text.startsWith('-'))) {
    throw formatError(what, 'shape must be a tuple of non-negative integers');
  }
  return (shape as PyInt[]).map((d) => {
    const digits = d.text.replace(/^0+(?=\d)/, '');
    // Past 16 digits a number is always above 2^53, so such digit strings are not even converted.
    if (digits.length > 16 || BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new NmsparseError('E_SHAPE', `${what}: dimension ${displayText(d.text, 60)} is larger than 2^53 − 1; no file can hold such an array`);
    }
    return Number(digits);
  });
}

interface NpyLayout {
  dtype: NpyDtype;
  shape: number[];
  dataOffset: number;
  /** Exact element count (checked against the file's size). */
  count: number;
}

/** The fixed part before the header text: magic, version, header length. At most 12 bytes. */
function parsePreamble(first: Uint8Array, fileSize: number, what: string): { major: number; headerStart: number; dataOffset: number } {
  if (first.length < 8 || MAGIC.some((b, i) => first[i] !== b)) {
    throw formatError(what, 'not a .npy file (the magic string \\x93NUMPY is missing)');
  }
  const major = first[6];
  if (major < 1 || major > 3) {
    throw formatError(what, `.npy format version ${major}.${first[7]} is not supported (1.0, 2.0 and 3.0 are)`);
  }
  const headerStart = major === 1 ? 10 : 12;
  if (fileSize < headerStart) {
    throw formatError(what, `the file is truncated: it has ${fileSize} bytes, fewer than the ${headerStart} before a version ${major} header`);
  }
  const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_NPY_HEADER_BYTES) {
    throw formatError(what, `the header claims ${headerLength} bytes, more than the limit of ${MAX_NPY_HEADER_BYTES}; the file is damaged or not a plain array`);
  }
  const dataOffset = headerStart + headerLength;
  if (dataOffset > fileSize) {
    throw formatError(what, `the file is truncated: its ${headerLength}-byte header ends at byte ${dataOffset} but the file has ${fileSize} bytes`);
  }
  return { major, headerStart, dataOffset };
}

function parseDict(headerBytes: Uint8Array, major: number, what: string): { dtype: NpyDtype; shape: number[] } {
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(headerBytes);
  } catch {
    throw formatError(what, 'the header is not valid text');
  }
  const header = parsePyLiteral(text, what);
  if (header === null || typeof header !== 'object' || Array.isArray(header) || header instanceof PyInt) {
    throw formatError(what, 'the header is not a dictionary');
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in header)) throw formatError(what, `the header has no '${key}'`);
  }
  const extra = Object.keys(header).filter((k) => !['descr', 'fortran_order', 'shape'].includes(k));
  if (extra.length > 0) throw formatError(what, `unexpected header keys ${displayText(extra.join(', '), 100)}`);
  if (header.fortran_order !== false) {
    if (header.fortran_order === true) {
      throw formatError(what, 'Fortran (column-major) order is not supported; save with np.ascontiguousarray(arr)');
    }
    throw formatError(what, "'fortran_order' must be True or False");
  }
  return { dtype: parseDescr(header.descr as PyValue, what), shape: parseShape(header.shape as PyValue, what) };
}

/** A shape as a Python tuple: `(4,)`, `(2, 3)`, `()`. */
function tupleText(dims: string, rank: number): string {
  return rank === 1 ? `(${dims},)` : `(${dims})`;
}

/** A shape for messages (cut when absurdly long). */
function shapeText(shape: readonly number[]): string {
  return tupleText(dimsText(shape), shape.length);
}

/** Checks that the data fills the file exactly; the counts in the message are exact. */
function checkDataLength(shape: number[], dtype: NpyDtype, dataOffset: number, fileSize: number, what: string): number {
  const count = elementCount(shape);
  const available = BigInt(fileSize - dataOffset);
  const needed = count * BigInt(ITEM_SIZE[dtype]);
  if (count === COUNT_CAP || needed !== available) {
    const of = `shape ${shapeText(shape)} of ${dtype}`;
    if (count === COUNT_CAP) throw formatError(what, `${of} has more than 2^64 elements, the file has ${available} bytes of data`);
    if (needed > available) {
      throw formatError(
        what,
        `the file is truncated: ${of} needs ${needed} bytes of data after the ${dataOffset}-byte header, the file has ${available} (it should be ${BigInt(dataOffset) + needed} bytes, it is ${fileSize})`,
      );
    }
    throw formatError(what, `the file is longer than its header says: ${of} needs ${needed} bytes of data, the file has ${available}`);
  }
  return Number(count);
}

/** Everything before the data of a .npy file in memory: magic, version, header dict, the data's exact size. */
function layoutOfBytes(bytes: Uint8Array, what: string): NpyLayout {
  const { major, headerStart, dataOffset } = parsePreamble(bytes.subarray(0, 12), bytes.length, what);
  const { dtype, shape } = parseDict(bytes.subarray(headerStart, dataOffset), major, what);
  return { dtype, shape, dataOffset, count: checkDataLength(shape, dtype, dataOffset, bytes.length, what) };
}

/** The same for a file read by ranges: only the preamble and the header are read. */
async function layoutOfSource(source: ByteSource): Promise<NpyLayout> {
  const what = source.name;
  const { major, headerStart, dataOffset } = parsePreamble(await source.read(0, Math.min(12, source.size)), source.size, what);
  const { dtype, shape } = parseDict(await source.read(headerStart, dataOffset - headerStart), major, what);
  return { dtype, shape, dataOffset, count: checkDataLength(shape, dtype, dataOffset, source.size, what) };
}

/** Decodes stored values: bytes as stored, f64 kept or rounded to f32, f16 and f32 to f32. */
function decode(raw: Uint8Array, dtype: NpyDtype, precision: Precision): Float64Array | Float32Array | Uint8Array {
  if (dtype === 'u8' || dtype === 'bool') return new Uint8Array(raw);
  if (dtype === 'f64' && precision === 'stored') return decodeF64(raw);
  return decodeFloats(raw, FLOAT_ENCODING[dtype] as FloatEncoding);
}

function allocate(layout: NpyLayout, precision: Precision, what: string): Float64Array | Float32Array | Uint8Array {
  try {
    if (layout.dtype === 'u8' || layout.dtype === 'bool') return new Uint8Array(layout.count);
    if (layout.dtype === 'f64' && precision === 'stored') return new Float64Array(layout.count);
    return new Float32Array(layout.count);
  } catch (err) {
    throw new NmsparseError('E_IO', `${what}: ${layout.count} values of ${layout.dtype} do not fit in memory here`, { cause: err });
  }
}

/** Reads a file's data into a fresh array: straight in when stored and decoded types agree, else in chunks. */
async function readData(source: ByteSource, layout: NpyLayout, precision: Precision): Promise<Float64Array | Float32Array | Uint8Array> {
  const out = allocate(layout, precision, source.name);
  const itemSize = ITEM_SIZE[layout.dtype];
  if (out.BYTES_PER_ELEMENT === itemSize) {
    await source.readInto(layout.dataOffset, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    return out;
  }
  for (let start = 0; start < layout.count; start += CONVERT_CHUNK) {
    const length = Math.min(CONVERT_CHUNK, layout.count - start);
    out.set(decode(await source.read(layout.dataOffset + start * itemSize, length * itemSize), layout.dtype, precision), start);
  }
  return out;
}

function parse(bytes: Uint8Array, what: string, precision: Precision): NpyMask {
  const { dtype, shape, dataOffset } = layoutOfBytes(bytes, what);
  return { shape, dtype, data: decode(bytes.subarray(dataOffset), dtype, precision) };
}

function readFile(path: string, precision: Precision): Promise<NpyMask> {
  return withFileSource(path, async (source) => {
    const layout = await layoutOfSource(source);
    return { shape: layout.shape, dtype: layout.dtype, data: await readData(source, layout, precision) };
  });
}

/**
 * Parses a .npy file in memory (format 1.0, 2.0 or 3.0; little-endian; C order). Float dtypes are
 * decoded to f32, u8 and bool to the stored bytes. The data must fill the file exactly.
 */
export function parseNpy(bytes: Uint8Array, what = '.npy data'): NpyArray {
  return parse(bytes, what, 'f32') as NpyArray;
}

/** Parses a .npy mask in memory at its stored precision (values are judged later, by the mask rule). */
export function parseNpyMask(bytes: Uint8Array, what = '.npy data'): NpyMask {
  return parse(bytes, what, 'stored');
}

/** Reads a .npy file by ranges (any size); E_IO naming the path and the reason when it cannot be read. */
export function readNpyFile(path: string): Promise<NpyArray> {
  return readFile(path, 'f32') as Promise<NpyArray>;
}

/** Reads a .npy mask file at its stored precision. */
export function readNpyMaskFile(path: string): Promise<NpyMask> {
  return readFile(path, 'stored');
}

/** Encodes an array as .npy (version 1.0, or 2.0 when the header is too long for 1.0). */
export function encodeNpy(data: Float32Array | Uint8Array, shape: number[], dtype: 'f32' | 'u8' | 'bool'): Uint8Array {
  if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(WRITE_DESCR, dtype)) {
    throw new NmsparseError('E_DTYPE', `cannot write .npy dtype ${displayText(String(dtype), 40)}; use 'f32', 'u8' or 'bool'`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new NmsparseError('E_SHAPE', 'the shape must be a list of non-negative integers');
  }
  const count = elementCount(shape);
  const isFloat = dtype === 'f32';
  const rightType = isFloat ? data instanceof Float32Array : data instanceof Uint8Array;
  if (!rightType) {
    throw new NmsparseError('E_DTYPE', `dtype ${dtype} needs a ${isFloat ? 'Float32Array' : 'Uint8Array'}`);
  }
  if (BigInt(data.length) !== count) {
    throw new NmsparseError('E_SHAPE', `data has ${data.length} values but shape ${shapeText(shape)} needs ${count === COUNT_CAP ? 'more than 2^64' : count}`);
  }
  if (dtype === 'bool' && !(data as Uint8Array).every(isMaskValue)) {
    throw new NmsparseError('E_MASK', 'a bool array may hold only 0 and 1');
  }
  const dict = `{'descr': '${WRITE_DESCR[dtype]}', 'fortran_order': False, 'shape': ${tupleText(shape.join(', '), shape.length)}, }`;
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
