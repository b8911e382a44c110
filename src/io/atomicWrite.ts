/**
 * One output file written atomically: an OutputSet of one (src/io/outputSet.ts), with the same checks
 * (never an input, a folder, a device or FIFO; existing files only with `force`) and the same commit
 * (no-replace link without `force`). Leftovers of killed runs beside it are removed silently.
 */
import { OutputSet, type OutputFile, type OutputSetOptions } from './outputSet.js';

export type AtomicWriteOptions = Pick<OutputSetOptions, 'force' | 'inputs' | 'signal'>;

/** An output file being written under a temporary name; it appears at `path` only on commit. */
export interface AtomicFile extends OutputFile {
  /** Flushes to disk and moves the temporary file to `path`. */
  commit(): Promise<void>;
  /** Removes the temporary file; safe to call after a failure or twice. */
  discard(): Promise<void>;
}

/** Opens a temporary file beside `path` (same folder, so the final move is atomic). */
export async function createAtomicFile(path: string, options: AtomicWriteOptions = {}): Promise<AtomicFile> {
  const set = await OutputSet.create([{ path }], options);
  const file = set.file(path);
  return { path, write: file.write, commit: () => set.commit(), discard: () => set.discard() };
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
