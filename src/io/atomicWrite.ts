import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NmsparseError } from '../core/errors.js';
import { fsError } from './fsError.js';

export interface AtomicWriteOptions {
  /** Replace an existing output file (default: refuse). */
  force?: boolean;
  /** Files this run reads: the output may never be one of them, even with force. */
  inputs?: readonly string[];
}

/** An output file being written under a temporary name; it appears at `path` only on commit. */
export interface AtomicFile {
  readonly path: string;
  /** Appends all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes to disk and renames the temporary file to `path`. */
  commit(): Promise<void>;
  /** Removes the temporary file; safe to call after a failure or twice. */
  discard(): Promise<void>;
}

/** fs calls write at most 2 GiB at once; stay well below. */
const WRITE_CHUNK = 1 << 28;

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError('inspect', path, err);
  }
}

/**
 * Checks that `path` may be written: it is not one of the inputs (by path or by file identity, so a
 * link to an input counts), not a directory, and does not exist unless `force`. Call it for every
 * output before starting long work, so that a run fails fast rather than after the work.
 */
export async function checkOutputPath(path: string, options: AtomicWriteOptions = {}): Promise<void> {
  const target = resolve(path);
  const existing = await statOrUndefined(target);
  for (const input of options.inputs ?? []) {
    const same =
      resolve(input) === target ||
      (existing !== undefined &&
        await statOrUndefined(input).then((s) => s !== undefined && s.dev === existing.dev && s.ino === existing.ino));
    if (same) {
      throw new NmsparseError('E_IO', `output ${path} is also an input; write the output to a different file`);
    }
  }
  if (existing?.isDirectory()) {
    throw new NmsparseError('E_IO', `output ${path} is a directory; give a file name`);
  }
  if (existing && !options.force) {
    throw new NmsparseError('E_IO', `output ${path} already exists; use --force (force: true) to overwrite it`);
  }
}

/** Opens a temporary file beside `path` (same directory, so the final rename is atomic). */
export async function createAtomicFile(path: string, options: AtomicWriteOptions = {}): Promise<AtomicFile> {
  await checkOutputPath(path, options);
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
  } catch (err) {
    throw fsError('create a temporary file for', path, err);
  }
  let state: 'open' | 'committed' | 'discarded' = 'open';

  const discard = async (): Promise<void> => {
    if (state !== 'open') return;
    state = 'discarded';
    await handle?.close().catch(() => undefined);
    handle = undefined;
    await unlink(temp).catch(() => undefined);
  };

  return {
    path,
    async write(bytes) {
      if (state !== 'open' || !handle) throw new NmsparseError('E_IO', `output ${path} is already closed`);
      try {
        for (let start = 0; start < bytes.byteLength; ) {
          const end = Math.min(bytes.byteLength, start + WRITE_CHUNK);
          const { bytesWritten } = await handle.write(bytes, start, end - start);
          start += bytesWritten;
        }
      } catch (err) {
        await discard();
        throw fsError('write', path, err);
      }
    },
    async commit() {
      if (state !== 'open' || !handle) throw new NmsparseError('E_IO', `output ${path} is already closed`);
      try {
        await handle.sync();
        await handle.close();
        handle = undefined;
        // Another process may have created the output meanwhile; never clobber it without force.
        if (!options.force && (await statOrUndefined(target))) {
          throw new NmsparseError('E_IO', `output ${path} appeared while writing; use --force to overwrite it`);
        }
        await rename(temp, target);
        state = 'committed';
      } catch (err) {
        await discard();
        throw err instanceof NmsparseError ? err : fsError('write', path, err);
      }
    },
    discard,
  };
}

/**
 * Writes a file atomically: `write` fills a temporary file, which replaces `path` only when `write`
 * returns. On any failure (including cancellation) the temporary file is removed and nothing changes.
 */
export async function writeFileAtomic(
  path: string,
  write: (file: AtomicFile) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const file = await createAtomicFile(path, options);
  try {
    await write(file);
    await file.commit();
  } catch (err) {
    await file.discard();
    throw err;
  }
}

/** Writes `bytes` to `path` atomically. */
export async function writeBytesAtomic(path: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, (file) => file.write(bytes), options);
}
