/**
 * The checks of `nmsparse merge` on its partial results, all before any output is written: each file
 * is a partial (partial.ts); all describe the same run (settings, input fingerprint, tensors, shard
 * count K); each of shards 1..K is given exactly once; and every tensor the run masks is held by
 * exactly the part the partition (partition.ts, recomputed from the recorded shapes) gives it, as a U8
 * or BOOL tensor of the dtype and shape the run recorded. Each refusal names the files and what is wrong.
 */
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import { openSafetensorsFile, type SafetensorsReader, type TensorInfo } from '../io/index.js';
import { readPartial, type Partial, type PartialRun } from './partial.js';
import { partition, tensorCost } from './partition.js';

export interface OpenPart {
  path: string;
  reader: SafetensorsReader;
  partial: Partial;
}

export interface CheckedParts {
  run: PartialRun;
  count: number;
  /** Each masked tensor's part and its entry there. */
  holders: Map<string, { part: OpenPart; info: TensorInfo }>;
}

const name = (path: string) => displayText(path, 120);

/** Opens every part and reads its description; on failure all are closed again. */
export async function openParts(paths: readonly string[]): Promise<OpenPart[]> {
  const parts: OpenPart[] = [];
  try {
    for (const path of paths) {
      const reader = await openSafetensorsFile(path);
      try {
        parts.push({ path, reader, partial: readPartial(reader, path) });
      } catch (err) {
        await reader.close();
        throw err;
      }
    }
    return parts;
  } catch (err) {
    await closeParts(parts);
    throw err;
  }
}

export async function closeParts(parts: readonly OpenPart[]): Promise<void> {
  await Promise.all(parts.map((p) => p.reader.close()));
}

function mismatch(message: string): NmsparseError {
  return new NmsparseError('E_OPTION', message);
}

/** Why part `b` is not of the same run as part `a`, or undefined when it is. */
function difference(a: OpenPart, b: OpenPart): string | undefined {
  const [x, y] = [a.partial, b.partial];
  const what = `${name(b.path)} (shard ${y.shard.index}/${y.shard.count}) and ${name(a.path)} (shard ${x.shard.index}/${x.shard.count})`;
  if (x.shard.count !== y.shard.count) return `${what} split the run into different numbers of shards`;
  const keys = [...new Set([...Object.keys(x.settings), ...Object.keys(y.settings)])];
  const differing = keys.filter((k) => JSON.stringify(x.settings[k]) !== JSON.stringify(y.settings[k]));
  if (differing.length > 0) {
    const shown = differing.map((k) => `${k}: ${displayText(JSON.stringify(x.settings[k]) ?? 'none', 40)} vs ${displayText(JSON.stringify(y.settings[k]) ?? 'none', 40)}`);
    return `${what} were made with different settings (${shown.join('; ')})`;
  }
  if (x.fingerprint !== y.fingerprint) return `${what} were made from different inputs (their headers differ)`;
  if (JSON.stringify([x.source, x.targets]) !== JSON.stringify([y.source, y.targets])) return `${what} describe different outputs`;
  return undefined;
}

/** Checks that the parts are shards 1..K of one run holding exactly their tensors (see the file header). */
export function checkParts(parts: readonly OpenPart[]): CheckedParts {
  const first = parts[0] as OpenPart;
  for (const part of parts) {
    const why = difference(first, part);
    if (why) throw mismatch(why);
  }
  const count = first.partial.shard.count;
  const byShard = new Map<number, OpenPart>();
  for (const part of parts) {
    const other = byShard.get(part.partial.shard.index);
    if (other) throw mismatch(`shard ${part.partial.shard.index}/${count} is given twice: ${name(other.path)} and ${name(part.path)}`);
    byShard.set(part.partial.shard.index, part);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((i) => !byShard.has(i));
  if (missing.length > 0) throw mismatch(`shard(s) ${missing.join(', ')} of ${count} are missing; give all ${count} partial results`);

  const run = first.partial;
  const dtype = run.settings.maskDtype;
  const shapes = new Map(run.targets.map(([t, , shape]) => [t, JSON.stringify(shape)]));
  const shardOf = partition(
    run.targets.map(([t, , shape]) => ({ name: t, cost: tensorCost(shape) })),
    count,
  );
  const holders = new Map<string, { part: OpenPart; info: TensorInfo }>();
  for (const part of parts) {
    const where = `${name(part.path)} (shard ${part.partial.shard.index}/${count})`;
    for (const info of part.reader.tensors) {
      const tensor = JSON.stringify(displayText(info.name, 80));
      const shape = shapes.get(info.name);
      if (shape === undefined) throw new NmsparseError('E_SHAPE', `${where} holds tensor ${tensor}, which the run does not mask`);
      // A tensor in two parts is in the wrong one in at least one of them.
      const expected = (shardOf.get(info.name) as number) + 1;
      if (part.partial.shard.index !== expected) throw new NmsparseError('E_SHAPE', `${where} holds ${tensor}, which the partition gives shard ${expected}`);
      if (JSON.stringify(info.shape) !== shape) throw new NmsparseError('E_SHAPE', `${where}: mask ${tensor} has shape ${JSON.stringify(info.shape)}, the weight ${shape}`);
      if (info.dtype !== dtype || (info.dtype !== 'U8' && info.dtype !== 'BOOL')) {
        throw new NmsparseError('E_SHAPE', `${where}: mask ${tensor} is ${info.dtype}, not the run's ${displayText(String(dtype), 10)}`);
      }
      holders.set(info.name, { part, info });
    }
  }
  const absent = run.targets.filter(([t]) => !holders.has(t)).map(([t]) => JSON.stringify(displayText(t, 80)));
  if (absent.length > 0) throw new NmsparseError('E_SHAPE', `no part holds the mask of ${absent.slice(0, 3).join(', ')}${absent.length > 3 ? ` and ${absent.length - 3} more` : ''}`);
  return { run, count, holders };
}
