/**
 * One safetensors output of a run, as one file or as a sharded set with its index (docs/formats.md,
 * "Sharded outputs"). The caller hands over the tensors in groups, each group a future shard with its
 * own `__metadata__`; this module names the files and writes them into an OutputSet, so that every
 * shard and the index are committed together (src/io/outputSet.ts).
 *
 * - A path ending in `.safetensors.index.json` (any case) is an index: group j (empty groups dropped)
 *   becomes `STEM-0000j-of-0000K.safetensors` next to it, STEM being the index name without that
 *   ending, and the index is Hugging Face's layout, `{"metadata": {"total_size": BYTES}, "weight_map":
 *   {tensor: shard file}}`, with total_size the tensors' data bytes and the weight map in tensor order
 *   (shard after shard, so reading the index back gives the tensors in the order written).
 * - Any other path is one file: there must be exactly one group.
 * - `splitBySize` is the size rule for a single input written as shards: tensors in order, a new
 *   shard whenever the next tensor would take the current one past the limit (a tensor larger than
 *   the limit gets a shard of its own).
 * Invariants: the files' names and contents depend only on the path and the groups; tensors must be
 * written in the groups' order, every one of them, before `commit`.
 */
import { basename, dirname, join } from 'node:path';
import { NmsparseError } from '../core/errors.js';
import type { OutputSet, OutputSpec } from './outputSet.js';
import { SafetensorsWriter } from './safetensors.js';
import { byteLength, quoted, type Metadata, type TensorEntry } from './safetensorsHeader.js';

const INDEX_SUFFIX = '.safetensors.index.json';

/** Whether an output path names the index of a sharded set (ends in .safetensors.index.json, any case). */
export function isIndexPath(path: string): boolean {
  return path.toLowerCase().endsWith(INDEX_SUFFIX);
}

/** Tensors that go to one file, with that file's metadata. */
export interface TensorGroup {
  readonly entries: readonly TensorEntry[];
  readonly metadata: Metadata;
}

/** One file of an output: where it goes and what it holds. */
export interface OutputFilePlan extends TensorGroup {
  readonly path: string;
}

/** The files of one output: its shards (or its one file), and the index of a sharded output. */
export interface SafetensorsOutputPlan {
  readonly files: readonly OutputFilePlan[];
  readonly index?: { readonly path: string; readonly bytes: Uint8Array };
}

/** `STEM-0000j-of-0000K.safetensors`, Hugging Face's shard names, next to the index. */
export function shardFileName(indexPath: string, j: number, count: number): string {
  const name = basename(indexPath);
  const stem = name.slice(0, name.length - INDEX_SUFFIX.length);
  const digits = (x: number) => String(x).padStart(5, '0');
  return `${stem}-${digits(j)}-of-${digits(count)}.safetensors`;
}

/** The index text: total_size and the weight map in tensor order, two-space indented, one final newline. */
function indexBytes(files: readonly OutputFilePlan[]): Uint8Array {
  let total = 0;
  for (const f of files) for (const e of f.entries) total += byteLength(e);
  // Written entry by entry: an object's keys that look like array indices would be reordered.
  const lines = files.flatMap((f) => f.entries.map((e) => `    ${JSON.stringify(e.name)}: ${JSON.stringify(basename(f.path))}`));
  const text = `{\n  "metadata": {\n    "total_size": ${total}\n  },\n  "weight_map": {\n${lines.join(',\n')}\n  }\n}\n`;
  return new TextEncoder().encode(text);
}

/** Lays out an output at `path` from its groups (see the file header). */
export function planSafetensorsOutput(path: string, groups: readonly TensorGroup[]): SafetensorsOutputPlan {
  if (!isIndexPath(path)) {
    if (groups.length !== 1) throw new NmsparseError('E_OPTION', `${path} is one file, but ${groups.length} groups of tensors were given`);
    return { files: [{ path, ...(groups[0] as TensorGroup) }] };
  }
  const kept = groups.filter((g) => g.entries.length > 0);
  const folder = dirname(path);
  const files = kept.map((g, k) => ({ path: join(folder, shardFileName(path, k + 1, kept.length)), entries: g.entries, metadata: g.metadata }));
  return { files, index: { path, bytes: indexBytes(files) } };
}

/** Groups of consecutive tensors whose data stays within `maxBytes` each, unless one tensor alone is larger. */
export function splitBySize(entries: readonly TensorEntry[], maxBytes: number, metadata: Metadata): TensorGroup[] {
  const groups: TensorEntry[][] = [];
  let current: TensorEntry[] = [];
  let size = 0;
  for (const e of entries) {
    const bytes = byteLength(e);
    if (current.length > 0 && size + bytes > maxBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(e);
    size += bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups.map((g) => ({ entries: g, metadata }));
}

/** Every file an output plan writes, for the OutputSet: shards first, then the index. */
export function outputSpecs(plan: SafetensorsOutputPlan, label: string): OutputSpec[] {
  return [...plan.files.map((f) => ({ path: f.path, label })), ...(plan.index ? [{ path: plan.index.path, label }] : [])];
}

/** Writes the tensors of a plan, in order, into the OutputSet that declared its files. */
export class SafetensorsOutput {
  /** Each tensor's file writer, and its place in that file's order. */
  private readonly place = new Map<string, { file: number; position: number }>();
  private readonly written: number[];

  private constructor(private readonly writers: readonly SafetensorsWriter[]) {
    this.written = writers.map(() => 0);
  }

  /** Writes every header (and the index) now; tensors follow through `write`. */
  static async open(set: OutputSet, plan: SafetensorsOutputPlan): Promise<SafetensorsOutput> {
    const writers: SafetensorsWriter[] = [];
    for (const f of plan.files) writers.push(await SafetensorsWriter.into(set.file(f.path), f.entries, f.metadata));
    if (plan.index) await set.file(plan.index.path).write(plan.index.bytes);
    const output = new SafetensorsOutput(writers);
    plan.files.forEach((f, file) => f.entries.forEach((e, position) => output.place.set(e.name, { file, position })));
    return output;
  }

  /** The bytes of tensor `name`, which must be the next one of its file. */
  async write(name: string, bytes: Uint8Array): Promise<void> {
    const at = this.place.get(name);
    if (!at || this.written[at.file] !== at.position) throw new NmsparseError('E_SHAPE', `tensor ${quoted(name)} is not the next tensor of this output`);
    await (this.writers[at.file] as SafetensorsWriter).writeTensor(bytes);
    this.written[at.file] = at.position + 1;
  }

  /** Checks that every tensor of every file was written (the OutputSet commits the files). */
  async commit(): Promise<void> {
    for (const w of this.writers) await w.commit();
  }
}
