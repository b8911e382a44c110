/**
 * How the outputs of a checkpoint run are laid out, the same for `mask`, `merge` (so that a merged
 * output is byte-identical to a single run's by construction) and `prune`'s checkpoint form. Everything
 * here is derived from the input's headers and the settings, never from the masks or weights themselves:
 * - a single-file output gets the input's metadata plus the `nmsparse` settings entry;
 * - an index output of a sharded input mirrors it: the tensors of input shard j go to output shard j,
 *   which gets input shard j's own metadata plus the settings entry (shards left empty are dropped);
 * - an index output of a single-file input is split by size (`--max-shard-size`, io's splitBySize).
 */
import type { CheckpointShard, MaskDtype, Metadata, TensorEntry, TensorStore } from '../io/index.js';
import { isIndexPath, planSafetensorsOutput, splitBySize, type SafetensorsOutputPlan, type TensorGroup } from '../io/safetensorsOutput.js';
import type { MaskSettings } from './solveMask.js';

/** What the layout needs of the input: recorded in partial results, so `merge` needs no input. */
export interface OutputSource {
  sharded: boolean;
  /** The metadata of a single-file output. */
  metadata: Metadata;
  /** Per input shard, the metadata of the output shard that mirrors it. */
  groupMetadata: Metadata[];
}

/** A tensor of an output and the input shard (0-based) it comes from. */
export interface PlacedEntry {
  entry: TensorEntry;
  group: number;
}

/** The `nmsparse` metadata entry: the settings a mask was computed with. */
export function settingsEntry(s: Pick<MaskSettings, 'n' | 'm' | 'transposable' | 'score' | 'method' | 'fill'>): string {
  const settings = { n: s.n, m: s.m, transposable: s.transposable, score: s.score };
  return JSON.stringify(s.transposable ? { ...settings, method: s.method, fill: s.fill } : settings);
}

export function outputSource(store: TensorStore, nmsparse: string): OutputSource {
  return {
    sharded: store.sharded,
    metadata: { ...store.metadata, nmsparse },
    groupMetadata: store.shards.map((shard) => ({ ...shard.metadata, nmsparse })),
  };
}

/** Every tensor of a checkpoint with the shard it is in. */
export function placedTensors(store: { shards: readonly CheckpointShard[] }): PlacedEntry[] {
  return store.shards.flatMap((shard, group) => shard.tensors.map((t) => ({ entry: { name: t.name, dtype: t.dtype, shape: t.shape }, group })));
}

/** The mask entries of the targets among `placed`, in its order, each in `dtype` and in its tensor's shard. */
export function maskEntries(placed: readonly PlacedEntry[], targets: { has(name: string): boolean }, dtype: MaskDtype): PlacedEntry[] {
  return placed.filter((p) => targets.has(p.entry.name)).map((p) => ({ ...p, entry: { ...p.entry, dtype } }));
}

/** The files' groups of an output at `path` (see the file header). */
export function outputGroups(path: string, entries: readonly PlacedEntry[], source: OutputSource, maxShardSize: number): TensorGroup[] {
  const all = entries.map((p) => p.entry);
  if (!isIndexPath(path)) return [{ entries: all, metadata: source.metadata }];
  if (!source.sharded) return splitBySize(all, maxShardSize, source.metadata);
  return source.groupMetadata.map((metadata, group) => ({ entries: entries.filter((p) => p.group === group).map((p) => p.entry), metadata }));
}

/** The files of an output at `path` holding `entries`, laid out by the rules of the file header. */
export function planOutput(path: string, entries: readonly PlacedEntry[], source: OutputSource, maxShardSize: number): SafetensorsOutputPlan {
  return planSafetensorsOutput(path, outputGroups(path, entries, source, maxShardSize));
}
