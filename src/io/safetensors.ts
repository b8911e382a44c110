import { NmsparseError } from '../core/errors.js';
import { isMaskValue } from '../core/maskValue.js';
import { fileSource, type ByteSource } from './byteSource.js';
import { createAtomicFile, type AtomicFile, type AtomicWriteOptions } from './atomicWrite.js';
import { decodeF64, decodeFloats, encodeFloats } from './floatCodec.js';
import type { OutputFile } from './outputSet.js';
import {
  byteLength,
  FLOAT_DTYPES,
  isFloatDtype,
  isMaskDtype,
  MAX_HEADER_BYTES,
  parseHeader,
  quoted,
  serializeHeader,
  type Metadata,
  type SafetensorsDtype,
  type TensorEntry,
  type TensorInfo,
} from './safetensorsHeader.js';

export { fileSource, memorySource, type ByteSource } from './byteSource.js';
export {
  DTYPE_SIZE,
  FLOAT_DTYPES,
  isFloatDtype,
  isMaskDtype,
  serializeHeader,
  type FloatDtype,
  type Metadata,
  type SafetensorsDtype,
  type TensorEntry,
  type TensorInfo,
} from './safetensorsHeader.js';

/**
 * A safetensors file opened for streaming: the header is read and validated up front; tensor data is
 * read one tensor at a time, so memory is bounded by the largest tensor, not by the file.
 */
export class SafetensorsReader {
  private constructor(
    private readonly source: ByteSource,
    /** Every tensor, in data order. */
    readonly tensors: readonly TensorInfo[],
    readonly metadata: Metadata,
    private readonly dataStart: number,
  ) {}

  static async open(source: ByteSource): Promise<SafetensorsReader> {
    try {
      const what = source.name;
      if (source.size < 8) {
        throw new NmsparseError('E_FORMAT', `${what}: ${source.size} bytes is too short for a safetensors file (8-byte header length first)`);
      }
      const length = new DataView((await source.read(0, 8)).buffer).getBigUint64(0, true);
      if (length > BigInt(Math.min(MAX_HEADER_BYTES, source.size - 8))) {
        throw new NmsparseError(
          'E_FORMAT',
          `${what}: the header length ${length} exceeds ${length > BigInt(MAX_HEADER_BYTES) ? `the limit of ${MAX_HEADER_BYTES} bytes` : `the file (${source.size} bytes)`}; the file is damaged or not safetensors`,
        );
      }
      const dataStart = 8 + Number(length);
      const { tensors, metadata } = parseHeader(await source.read(8, Number(length)), source.size - dataStart, what);
      return new SafetensorsReader(source, tensors, metadata, dataStart);
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  get name(): string {
    return this.source.name;
  }

  /** The tensor called `name`; E_SHAPE naming the file when there is none. */
  tensor(name: string): TensorInfo {
    const t = this.tensors.find((x) => x.name === name);
    if (!t) throw new NmsparseError('E_SHAPE', `${this.source.name} has no tensor ${quoted(name)}`);
    return t;
  }

  /** The tensor's bytes, as stored (for any dtype, supported or not). */
  readBytes(info: TensorInfo): Promise<Uint8Array> {
    return this.source.read(this.dataStart + info.begin, info.end - info.begin);
  }

  /**
   * A float tensor's values as f32 (F64 rounds to nearest; F16 and BF16 are exact), into `into` when
   * given (its length must be the tensor's element count).
   */
  async readFloats(info: TensorInfo, into?: Float32Array): Promise<Float32Array> {
    if (!isFloatDtype(info.dtype)) {
      throw new NmsparseError('E_DTYPE', `${this.source.name}: tensor ${quoted(info.name)} is ${info.dtype}; a float tensor (F16, BF16, F32, F64) is required`);
    }
    return decodeFloats(await this.readBytes(info), FLOAT_DTYPES[info.dtype], into);
  }

  /**
   * A mask tensor's values exactly as stored: U8 and BOOL as bytes, F16/BF16/F32 as f32, F64 as f64,
   * so that the one mask rule (core/maskValue.ts: 1 keeps, 0 drops, anything else is a violation)
   * judges the stored value, not a rounded one. Values are not checked here.
   */
  async readMask(info: TensorInfo): Promise<Uint8Array | Float32Array | Float64Array> {
    if (!isMaskDtype(info.dtype)) {
      throw new NmsparseError('E_DTYPE', `${this.source.name}: mask ${quoted(info.name)} is ${info.dtype}; masks must be U8, BOOL or F16, BF16, F32, F64`);
    }
    const bytes = await this.readBytes(info);
    if (info.dtype === 'U8' || info.dtype === 'BOOL') return bytes;
    return info.dtype === 'F64' ? decodeF64(bytes) : decodeFloats(bytes, FLOAT_DTYPES[info.dtype]);
  }

  close(): Promise<void> {
    return this.source.close();
  }
}

export async function openSafetensorsFile(path: string): Promise<SafetensorsReader> {
  return SafetensorsReader.open(await fileSource(path));
}

/** Values in a tensor's dtype: f32 rounds (ties to even) to F16/BF16, widens to F64; U8/BOOL as bytes. */
export function encodeTensorData(data: Float32Array | Uint8Array, dtype: SafetensorsDtype): Uint8Array {
  if (isFloatDtype(dtype) && data instanceof Float32Array) return encodeFloats(data, FLOAT_DTYPES[dtype]);
  if ((dtype === 'U8' || dtype === 'BOOL') && data instanceof Uint8Array) {
    if (dtype === 'BOOL' && !data.every(isMaskValue)) throw new NmsparseError('E_MASK', 'a BOOL tensor may hold only 0 and 1');
    return data;
  }
  const given = data instanceof Float32Array || data instanceof Uint8Array ? data.constructor.name : typeof data;
  throw new NmsparseError('E_DTYPE', `cannot encode a ${given} as ${String(dtype)}; floats need F16/BF16/F32/F64, bytes U8/BOOL`);
}

/**
 * Streams a safetensors file: the header first (all shapes are known up front), then each tensor's
 * bytes in order. The file appears at its path only on commit; until then it is a temporary file.
 */
export class SafetensorsWriter {
  private next = 0;

  private constructor(
    private readonly file: OutputFile,
    private readonly entries: readonly TensorEntry[],
    /** The file this writer opened itself (`create`) and so commits or discards. */
    private readonly owned?: AtomicFile,
  ) {}

  static async create(
    path: string,
    entries: readonly TensorEntry[],
    metadata: Metadata = {},
    options: AtomicWriteOptions = {},
  ): Promise<SafetensorsWriter> {
    const file = await createAtomicFile(path, options);
    try {
      await file.write(serializeHeader(entries, metadata));
    } catch (err) {
      await file.discard();
      throw err;
    }
    return new SafetensorsWriter(file, entries, file);
  }

  /**
   * Writes into one output of an OutputSet, which commits it together with the run's other outputs;
   * `commit` here only checks that every tensor was written.
   */
  static async into(file: OutputFile, entries: readonly TensorEntry[], metadata: Metadata = {}): Promise<SafetensorsWriter> {
    await file.write(serializeHeader(entries, metadata));
    return new SafetensorsWriter(file, entries);
  }

  /** The next entry's bytes (already in its dtype). */
  async writeTensor(bytes: Uint8Array): Promise<void> {
    const entry = this.entries[this.next];
    if (!entry) throw new NmsparseError('E_SHAPE', `${this.file.path}: all ${this.entries.length} tensors are already written`);
    if (bytes.byteLength !== byteLength(entry)) {
      await this.discard();
      throw new NmsparseError('E_SHAPE', `${this.file.path}: tensor ${quoted(entry.name)} needs ${byteLength(entry)} bytes, got ${bytes.byteLength}`);
    }
    await this.file.write(bytes);
    this.next++;
  }

  /** Checks that every tensor was written, then (for `create`) moves the file into place. */
  async commit(): Promise<void> {
    if (this.next !== this.entries.length) {
      await this.discard();
      throw new NmsparseError('E_SHAPE', `${this.file.path}: only ${this.next} of ${this.entries.length} tensors were written`);
    }
    await this.owned?.commit();
  }

  /** Drops the unfinished file (for `into`, the OutputSet discards it). */
  async discard(): Promise<void> {
    await this.owned?.discard();
  }
}

export interface TensorData extends TensorEntry {
  data: Float32Array | Uint8Array;
}

/** Writes whole tensors (f32 values or mask bytes) to a safetensors file atomically. */
export async function writeSafetensorsFile(
  path: string,
  tensors: readonly TensorData[],
  options: AtomicWriteOptions & { metadata?: Metadata } = {},
): Promise<void> {
  const encoded = tensors.map((t) => encodeTensorData(t.data, t.dtype));
  const writer = await SafetensorsWriter.create(path, tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape })), options.metadata, options);
  try {
    for (const bytes of encoded) await writer.writeTensor(bytes);
    await writer.commit();
  } catch (err) {
    await writer.discard();
    throw err;
  }
}
