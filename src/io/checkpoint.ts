/**
 * A checkpoint as the commands read it: one safetensors file, or a sharded set described by its index
 * (`model.safetensors.index.json`: `{"metadata": {...}, "weight_map": {"tensor name": "shard file"}}`, the
 * layout Hugging Face writes for large models). Both are read through one interface, TensorStore.
 *
 * The index is untrusted input, so it is checked before any shard is opened: strict JSON (bounded depth,
 * no duplicate keys), at most MAX_INDEX_BYTES, shard names that are plain file names in the index's own
 * folder (no separators, no `..`: an index cannot make nmsparse read elsewhere), and then every shard is
 * checked against it: each tensor of a shard is mapped to that shard, and each mapped tensor exists.
 */
import { basename, dirname, join } from 'node:path';
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import { withFileSource } from './byteSource.js';
import { detectFormat } from './detectFormat.js';
import { openSafetensorsFile, type SafetensorsReader } from './safetensors.js';
import { quoted, type Metadata, type TensorInfo } from './safetensorsHeader.js';
import { JsonNumber, parseStrictJson, type JsonValue } from './strictJson.js';

/** One file of a checkpoint: its path, its own `__metadata__` and its tensors in file order. */
export interface CheckpointShard {
  readonly file: string;
  readonly metadata: Metadata;
  readonly tensors: readonly TensorInfo[];
}

/** What the checkpoint commands need of a set of tensors, in one file or in shards. */
export interface TensorStore {
  /** A name for messages: the file, or the index. */
  readonly name: string;
  /** Every tensor: file order, shard after shard for a sharded set. */
  readonly tensors: readonly TensorInfo[];
  readonly metadata: Metadata;
  /** The shard files read (one for a single file). */
  readonly files: readonly string[];
  /** Whether this is a sharded set read through its index (even one of a single shard). */
  readonly sharded: boolean;
  /** The files with their own metadata and tensors, in the order of `tensors` (one for a single file). */
  readonly shards: readonly CheckpointShard[];
  tensor(name: string): TensorInfo;
  readBytes(info: TensorInfo): Promise<Uint8Array>;
  /** A float tensor's values as f32, into `into` when given (see decodeFloats). */
  readFloats(info: TensorInfo, into?: Float32Array): Promise<Float32Array>;
  readMask(info: TensorInfo): Promise<Uint8Array | Float32Array | Float64Array>;
  close(): Promise<void>;
}

/** An index is a small JSON file; real ones are well under 1 MB even for hundreds of shards. */
const MAX_INDEX_BYTES = 64 * 2 ** 20;

/** A sharded checkpoint: the shards' readers behind one TensorStore. */
class ShardedCheckpoint implements TensorStore {
  private readonly owner = new Map<TensorInfo, SafetensorsReader>();
  private readonly byName = new Map<string, TensorInfo>();
  readonly tensors: readonly TensorInfo[];
  readonly sharded = true;

  constructor(
    readonly name: string,
    readonly metadata: Metadata,
    private readonly readers: readonly SafetensorsReader[],
    readonly files: readonly string[],
  ) {
    const all: TensorInfo[] = [];
    for (const shard of readers) {
      for (const t of shard.tensors) {
        this.owner.set(t, shard);
        this.byName.set(t.name, t);
        all.push(t);
      }
    }
    this.tensors = all;
  }

  get shards(): readonly CheckpointShard[] {
    return this.readers.map((r, k) => ({ file: this.files[k] as string, metadata: r.metadata, tensors: r.tensors }));
  }

  tensor(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new NmsparseError('E_SHAPE', `${displayText(this.name)} has no tensor ${quoted(name)}`);
    return t;
  }

  private shardOf(info: TensorInfo): SafetensorsReader {
    const shard = this.owner.get(info);
    if (!shard) throw new NmsparseError('E_SHAPE', `tensor ${quoted(info.name)} is not one of ${displayText(this.name)}`);
    return shard;
  }

  readBytes(info: TensorInfo): Promise<Uint8Array> {
    return this.shardOf(info).readBytes(info);
  }

  readFloats(info: TensorInfo, into?: Float32Array): Promise<Float32Array> {
    return this.shardOf(info).readFloats(info, into);
  }

  readMask(info: TensorInfo): Promise<Uint8Array | Float32Array | Float64Array> {
    return this.shardOf(info).readMask(info);
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((s) => s.close()));
  }
}

/** Wraps one safetensors file as a TensorStore. */
function singleFile(reader: SafetensorsReader, path: string): TensorStore {
  return {
    name: reader.name,
    tensors: reader.tensors,
    metadata: reader.metadata,
    files: [path],
    sharded: false,
    shards: [{ file: path, metadata: reader.metadata, tensors: reader.tensors }],
    tensor: (n) => reader.tensor(n),
    readBytes: (i) => reader.readBytes(i),
    readFloats: (i, into) => reader.readFloats(i, into),
    readMask: (i) => reader.readMask(i),
    close: () => reader.close(),
  };
}

function formatError(path: string, reason: string): NmsparseError {
  return new NmsparseError('E_FORMAT', `${displayText(path, 120)}: ${reason}`);
}

/** The index's weight map (tensor → shard file, in file order) and metadata, checked. */
function parseIndex(text: string, path: string): { weightMap: Map<string, string>; metadata: Metadata } {
  const root = parseStrictJson(text, path);
  if (!(root instanceof Map)) throw formatError(path, 'a sharded checkpoint index must be a JSON object');
  for (const key of root.keys()) {
    if (key !== 'metadata' && key !== 'weight_map') throw formatError(path, `unexpected key ${quoted(key)} in the index (expected metadata and weight_map)`);
  }
  const map = root.get('weight_map');
  if (!(map instanceof Map) || map.size === 0) throw formatError(path, 'the index has no weight_map (an object of tensor name → shard file)');
  const weightMap = new Map<string, string>();
  for (const [tensor, file] of map) {
    if (typeof file !== 'string') throw formatError(path, `weight_map[${quoted(tensor)}] must be a shard file name`);
    if (file === '' || file !== basename(file) || file === '.' || file === '..' || /[\\/]/.test(file)) {
      throw formatError(path, `weight_map[${quoted(tensor)}] is ${quoted(file)}; shard names must be plain file names in the index's folder`);
    }
    weightMap.set(tensor, file);
  }
  const metadata: Metadata = {};
  const raw: JsonValue | undefined = root.get('metadata');
  if (raw instanceof Map) {
    // Hugging Face writes numbers here (total_size); metadata is kept as text, as in safetensors headers.
    for (const [k, v] of raw) {
      if (typeof v === 'string') metadata[k] = v;
      else if (v instanceof JsonNumber) metadata[k] = v.text;
      else throw formatError(path, `index metadata ${quoted(k)} must be a string or a number`);
    }
  } else if (raw !== undefined && raw !== null) {
    throw formatError(path, 'the index metadata must be an object');
  }
  return { weightMap, metadata };
}

/**
 * Opens a checkpoint: a safetensors file, or a sharded set through its index file. Every shard is opened
 * (headers only) and checked against the index before this returns; on failure all are closed again.
 */
export async function openCheckpoint(path: string): Promise<TensorStore> {
  if ((await detectFormat(path)) !== 'safetensors-index') return singleFile(await openSafetensorsFile(path), path);
  const bytes = await withFileSource(path, async (s) => {
    if (s.size > MAX_INDEX_BYTES) throw formatError(path, `an index of ${s.size} bytes is over the ${MAX_INDEX_BYTES}-byte limit`);
    return s.read(0, s.size);
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw formatError(path, 'the index is not valid UTF-8');
  }
  const { weightMap, metadata } = parseIndex(text, path);
  const files = [...new Set(weightMap.values())];
  const shards: SafetensorsReader[] = [];
  try {
    for (const file of files) shards.push(await openSafetensorsFile(join(dirname(path), file)));
    files.forEach((file, k) => {
      const shard = shards[k] as SafetensorsReader;
      for (const t of shard.tensors) {
        const mapped = weightMap.get(t.name);
        if (mapped !== file) {
          throw formatError(path, `shard ${quoted(file)} holds tensor ${quoted(t.name)}, which the index maps to ${mapped === undefined ? 'no shard' : quoted(mapped)}`);
        }
      }
      for (const [tensor, mappedFile] of weightMap) {
        if (mappedFile === file && !shard.tensors.some((t) => t.name === tensor)) {
          throw formatError(path, `the index maps tensor ${quoted(tensor)} to shard ${quoted(file)}, which does not hold it`);
        }
      }
    });
    return new ShardedCheckpoint(path, metadata, shards, files.map((f) => join(dirname(path), f)));
  } catch (err) {
    await Promise.all(shards.map((s) => s.close()));
    throw err;
  }
}
