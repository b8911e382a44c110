/**
 * `--shard i/k`: which tensors shard i of k masks (docs/scale.md, "The partition").
 *
 * Rule: every item has a cost (a tensor's element count, from the checkpoint's header); items are taken
 * by decreasing cost, ties by name (code-unit order), and each goes to the shard with the least cost so
 * far, ties to the lowest shard number (greedy list scheduling, "longest processing time first").
 * Invariants: every item is in exactly one shard; the result depends only on the items (never on timing
 * or the machine); the largest load is at most the average load plus the largest cost (when the last
 * item joined the fullest shard, that shard was the least loaded, so at most the average).
 */
import { displayText } from '../core/text.js';
import { optionError } from './flags.js';

/** The most shards a run may be split into; `merge` keeps every part open at once. */
export const MAX_SHARDS = 256;

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

export interface CostedItem {
  name: string;
  cost: number;
}

/** The cost of masking a tensor: its element count (rows × columns of the matrix it is masked as). */
export function tensorCost(shape: readonly number[]): number {
  return shape.reduce((product, d) => product * d, 1);
}

/** The shard (0-based) of each item, by name. */
export function partition(items: readonly CostedItem[], count: number): Map<string, number> {
  const order = [...items].sort((a, b) => b.cost - a.cost || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const loads = new Array<number>(count).fill(0);
  const shardOf = new Map<string, number>();
  for (const item of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if ((loads[s] as number) < (loads[best] as number)) best = s;
    loads[best] = (loads[best] as number) + item.cost;
    shardOf.set(item.name, best);
  }
  return shardOf;
}

const SHARD_TEXT = /^([1-9][0-9]*)\/([1-9][0-9]*)$/;

/** Parses `i/k` strictly: decimal integers, 1 ≤ i ≤ k ≤ MAX_SHARDS. */
export function parseShard(text: string): ShardSpec {
  const match = SHARD_TEXT.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !(index <= count && count <= MAX_SHARDS)) {
    throw optionError(`--shard must be i/k with integers 1 ≤ i ≤ k ≤ ${MAX_SHARDS} (shard i of k), got '${displayText(text, 40)}'`);
  }
  return { index, count };
}
