/**
 * Partial results of `nmsparse mask --shard i/k` (docs/formats.md, "Partial results"). A partial is an
 * ordinary safetensors file of the shard's masks whose `__metadata__` holds one entry,
 * `nmsparse_partial`, a JSON description of the whole run: format and version, shard i of k, the
 * settings that decide the masks, a fingerprint of the input's headers, the layout source of the
 * outputs (maskLayout.ts) and every tensor the whole run masks, in order, with its input shard and shape.
 * `merge` needs nothing else to write what the single run would have written.
 *
 * The fingerprint is a SHA-256 of the input's structure: sharded or not, the metadata, and per file
 * (its name within a sharded set) its metadata and every tensor's name, dtype, shape and byte range.
 * It does not read tensor data: two checkpoints with the same headers and different weights match.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import type { Metadata, SafetensorsReader, TensorStore } from '../io/index.js';
import type { OutputSource } from './maskLayout.js';
import type { ShardSpec } from './partition.js';

export const PARTIAL_KEY = 'nmsparse_partial';
const FORMAT = 'nmsparse-partial';
const VERSION = 1;

export interface PartialRun {
  /** The settings that decide the masks and which tensors get one (compared, never interpreted, by merge). */
  settings: Record<string, unknown>;
  fingerprint: string;
  source: OutputSource;
  /** Every tensor the whole run masks, in output order, with its input shard and shape. */
  targets: Array<[name: string, group: number, shape: number[]]>;
}

export interface Partial extends PartialRun {
  shard: ShardSpec;
}

export function inputFingerprint(store: TensorStore): string {
  const files = store.shards.map((s) => [
    store.sharded ? basename(s.file) : '',
    Object.entries(s.metadata),
    s.tensors.map((t) => [t.name, t.dtype, t.shape, t.begin, t.end]),
  ]);
  const text = JSON.stringify([store.sharded, Object.entries(store.metadata), files]);
  return createHash('sha256').update(text).digest('hex');
}

/** The `__metadata__` of shard `shard`'s partial. */
export function partialMetadata(run: PartialRun, shard: ShardSpec): Metadata {
  const description = { format: FORMAT, version: VERSION, shard: shard.index, of: shard.count, ...run };
  return { [PARTIAL_KEY]: JSON.stringify(description) };
}

function notPartial(path: string, why: string): NmsparseError {
  return new NmsparseError('E_FORMAT', `${displayText(path, 120)} is not a partial result of 'nmsparse mask --shard' (${why})`);
}

type Json = unknown;

const isRecord = (x: Json): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStringMap = (x: Json): x is Metadata => isRecord(x) && Object.values(x).every((v) => typeof v === 'string');
const isCount = (x: Json): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** The description in a partial's metadata, checked field by field; E_FORMAT naming the file otherwise. */
export function readPartial(reader: SafetensorsReader, path: string): Partial {
  const keys = Object.keys(reader.metadata);
  const text = reader.metadata[PARTIAL_KEY];
  if (text === undefined) throw notPartial(path, `no ${PARTIAL_KEY} metadata`);
  if (keys.length !== 1) throw notPartial(path, `metadata besides ${PARTIAL_KEY}`);
  let d: Json;
  try {
    d = JSON.parse(text);
  } catch {
    throw notPartial(path, `${PARTIAL_KEY} is not JSON`);
  }
  if (!isRecord(d) || d.format !== FORMAT) throw notPartial(path, `${PARTIAL_KEY} has no format '${FORMAT}'`);
  if (d.version !== VERSION) throw notPartial(path, `version ${displayText(String(d.version), 20)}; this nmsparse reads version ${VERSION}`);
  const { shard, of, settings, fingerprint, source, targets } = d;
  if (!isCount(shard) || !isCount(of) || shard < 1 || shard > of) throw notPartial(path, 'no valid shard i of k');
  if (!isRecord(settings) || typeof fingerprint !== 'string') throw notPartial(path, 'no settings or input fingerprint');
  const validSource =
    isRecord(source) && typeof source.sharded === 'boolean' && isStringMap(source.metadata) && Array.isArray(source.groupMetadata) && source.groupMetadata.every(isStringMap);
  if (!validSource) throw notPartial(path, 'no valid output layout');
  const groups = (source.groupMetadata as Metadata[]).length;
  const validTargets =
    Array.isArray(targets) &&
    targets.every((t: Json) => Array.isArray(t) && t.length === 3 && typeof t[0] === 'string' && isCount(t[1]) && (t[1] as number) < groups && Array.isArray(t[2]) && t[2].every(isCount));
  if (!validTargets) throw notPartial(path, 'no valid list of tensors');
  return {
    shard: { index: shard, count: of },
    settings,
    fingerprint,
    source: { sharded: source.sharded as boolean, metadata: source.metadata as Metadata, groupMetadata: source.groupMetadata as Metadata[] },
    targets: targets as Array<[string, number, number[]]>,
  };
}
