import { NmsparseError } from '../core/errors.js';

/** Float encodings stored in files; all are little-endian. */
export type FloatEncoding = 'f16' | 'bf16' | 'f32' | 'f64';

export const FLOAT_ITEM_SIZE: Readonly<Record<FloatEncoding, number>> = { f16: 2, bf16: 2, f32: 4, f64: 8 };

// Typed arrays use the host byte order and the files are little-endian; every Node platform is.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndianHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new NmsparseError('E_DTYPE', 'this host is big-endian; nmsparse reads and writes little-endian files only');
  }
}

let f16Table: Uint32Array | undefined;

/** f32 bit patterns of all 65536 f16 values (exact: every f16 is an f32; NaN payloads are kept). */
function f16ToF32Table(): Uint32Array {
  if (f16Table) return f16Table;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) table[h] = sign | 0x7f800000 | (mant << 13);
    else if (exp !== 0) table[h] = sign | ((exp + 112) << 23) | (mant << 13);
    else if (mant === 0) table[h] = sign;
    else {
      // Subnormal: shift the mantissa up until its leading one becomes the implicit bit.
      let e = 113;
      let m = mant;
      while ((m & 0x400) === 0) {
        m <<= 1;
        e--;
      }
      table[h] = sign | (e << 23) | ((m & 0x3ff) << 13);
    }
  }
  f16Table = table;
  return table;
}

/** Rounds the f32 with bit pattern x to the nearest f16 (ties to even); NaN stays NaN, overflow is ±Inf. */
export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    if (mant === 0) return sign | 0x7c00;
    const payload = mant >>> 13;
    return sign | 0x7c00 | (payload === 0 ? 0x200 : payload);
  }
  const e = exp - 112; // the f16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    const full = mant | 0x800000;
    const shift = 14 - e;
    const half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (rest > halfway || (rest === halfway && (half & 1) === 1) ? half + 1 : half);
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent, up to Inf: that is the correct rounding.
  return sign | (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half);
}

/** Rounds the f32 with bit pattern x to the nearest bf16 (ties to even); NaN stays NaN. */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
    const high = x >>> 16;
    return (high & 0x7f) === 0 ? high | 0x40 : high;
  }
  return ((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** The 16-bit words of `bytes`, read in place when they are 2-byte aligned (else from a copy). */
function words16(bytes: Uint8Array): Uint16Array {
  return bytes.byteOffset % 2 === 0
    ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)
    : new Uint16Array(alignedCopy(bytes, 0, bytes.byteLength));
}

/** A copy of `length` bytes from `bytes` at `offset` in a fresh buffer (aligned for any typed array). */
function alignedCopy(bytes: Uint8Array, offset: number, length: number): ArrayBuffer {
  const buffer = new ArrayBuffer(length);
  new Uint8Array(buffer).set(bytes.subarray(offset, offset + length));
  return buffer;
}

/**
 * Decodes little-endian floats to f32 (f64 rounds to nearest; f16/bf16 are exact), into `into` when
 * given (its length must be the value count: a caller decoding many tensors reuses its buffers) or
 * into a new array.
 */
export function decodeFloats(bytes: Uint8Array, encoding: FloatEncoding, into?: Float32Array): Float32Array {
  assertLittleEndianHost();
  const count = bytes.byteLength / FLOAT_ITEM_SIZE[encoding];
  if (into !== undefined && into.length !== count) {
    throw new NmsparseError('E_SHAPE', `decodeFloats: the output holds ${into.length} values but the bytes hold ${count}`);
  }
  const out = into ?? new Float32Array(count);
  const bits = new Uint32Array(out.buffer, out.byteOffset, count);
  switch (encoding) {
    case 'f32':
      new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
      break;
    case 'f64': {
      const src = new Float64Array(alignedCopy(bytes, 0, bytes.byteLength));
      for (let i = 0; i < count; i++) out[i] = src[i]; // rounds to nearest f32
      break;
    }
    case 'f16': {
      const table = f16ToF32Table();
      const src = words16(bytes);
      for (let i = 0; i < count; i++) bits[i] = table[src[i]];
      break;
    }
    case 'bf16': {
      const src = words16(bytes);
      for (let i = 0; i < count; i++) bits[i] = (src[i]) << 16;
      break;
    }
  }
  return out;
}

/** Encodes f32 values as little-endian floats, rounding to nearest (ties to even) where narrower. */
export function encodeFloats(values: Float32Array, encoding: FloatEncoding): Uint8Array {
  assertLittleEndianHost();
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  switch (encoding) {
    case 'f32':
      return new Uint8Array(values.slice().buffer);
    case 'f64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'f16': {
      const out = new Uint16Array(values.length);
      for (let i = 0; i < out.length; i++) out[i] = f32BitsToF16(bits[i]);
      return new Uint8Array(out.buffer);
    }
    case 'bf16': {
      const out = new Uint16Array(values.length);
      for (let i = 0; i < out.length; i++) out[i] = f32BitsToBf16(bits[i]);
      return new Uint8Array(out.buffer);
    }
  }
}

/** Decodes little-endian f64 values exactly (for masks, whose values must not round). */
export function decodeF64(bytes: Uint8Array): Float64Array {
  assertLittleEndianHost();
  return new Float64Array(alignedCopy(bytes, 0, bytes.byteLength));
}
