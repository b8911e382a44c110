/**
 * Temporary files of outputs being written. Each lives beside its output (same folder, so committing
 * it is a link or rename within one file system) and is named `.NAME.nmsparse-<pid>-<hex>.tmp`, so
 * that a later run writing NAME recognises what a killed run (kill -9, power loss) left behind: a
 * temporary file whose process is gone. The temporary files of this process are kept in a registry
 * so that a signal handler can remove them synchronously before the process exits.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** File names are limited to 255 bytes; the stem keeps room for the ~40-byte decoration. */
const MAX_STEM_BYTES = 200;

/** The output's name as it appears in its temporary files' names (long names cut at a character). */
function stem(name: string): string {
  if (Buffer.byteLength(name) <= MAX_STEM_BYTES) return name;
  let cut = '';
  for (const ch of name) {
    if (Buffer.byteLength(cut + ch) > MAX_STEM_BYTES) break;
    cut += ch;
  }
  return cut;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Temporary files of NAME: this version's pattern, and that of nmsparse 0.1 (`.NAME.<pid>-<12 hex>.tmp`),
 * whose leftovers nothing removed until now.
 */
function tempPattern(name: string): RegExp {
  return new RegExp(`^\\.${escapeRegExp(stem(name))}\\.(?:nmsparse-(\\d+)-[0-9a-f]+|(\\d+)-[0-9a-f]{12})\\.tmp$`);
}

/** Absolute paths of this process's live temporary files. */
const live = new Set<string>();

/** A fresh temporary path beside `target` (an absolute path), registered as live. */
export function newTempPath(target: string): string {
  const temp = join(dirname(target), `.${stem(basename(target))}.nmsparse-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  live.add(temp);
  return temp;
}

/** Forgets a temporary file that was removed or became an output. */
export function releaseTempPath(temp: string): void {
  live.delete(temp);
}

/**
 * Removes every live temporary file of this process now, synchronously: for a signal handler that
 * exits right after. Errors are ignored (a file may already be gone).
 */
export function removeLiveTempsSync(): void {
  for (const temp of live) {
    try {
      unlinkSync(temp);
    } catch {
      // already removed, or its folder is gone: nothing left to clean
    }
    live.delete(temp);
  }
}

function processIsGone(pid: number): boolean {
  if (pid === process.pid) return true; // an earlier process with our pid (containers reuse them); ours are in `live`
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes the temporary files that killed runs left beside `target` (those whose process no longer
 * exists); returns their paths. Temporary files of live processes (a concurrent run) are left alone.
 */
export async function removeLeftovers(target: string): Promise<string[]> {
  const folder = dirname(target);
  const pattern = tempPattern(basename(target));
  const removed: string[] = [];
  for (const name of await readdir(folder)) {
    const match = pattern.exec(name);
    if (!match) continue;
    const path = join(folder, name);
    if (live.has(path) || !processIsGone(Number(match[1] ?? match[2]))) continue;
    try {
      await unlink(path);
      removed.push(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // ENOENT: another run removed it first
    }
  }
  return removed;
}
