/**
 * All the output files of one run, written together: either every one appears or none does
 * (docs/cli.md, "Nothing lost").
 *
 * 1. `OutputSet.create` checks every output up front (src/io/outputPaths.ts), removes temporary files
 *    that killed runs left beside them, and opens one temporary file per output in its target folder.
 * 2. The run writes each output through `file(path)`.
 * 3. `commit` flushes every temporary file to disk, then moves all of them into place in one
 *    synchronous step, so that no signal handler (they run between event-loop turns) can see half a
 *    commit. Without `force` an output is committed by `link(temp, target)`, which fails if the target
 *    appeared meanwhile (a concurrent run): exactly one of two racing runs wins. With `force` the old
 *    file is first kept under a temporary name, then replaced by `rename`. If any output fails, the
 *    ones already moved are rolled back (new ones removed, replaced ones restored).
 * 4. `discard` (also on every failure) removes the temporary files; nothing else was touched.
 * Invariant: until `commit` returns, no target path has changed.
 */
import { closeSync, linkSync, lstatSync, openSync, readlinkSync, renameSync, symlinkSync, unlinkSync, type Stats } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { checkOutputs, unwritableKind, type CheckedOutput, type OutputCheckOptions, type OutputSpec } from './outputPaths.js';
import { fsError } from './fsError.js';
import { newTempPath, releaseTempPath, removeLeftovers } from './tempFiles.js';

export type { OutputSpec } from './outputPaths.js';

/** Where a run stands; the CLI's test hooks pause at these (see `onStage`). */
export type OutputStage = 'ready' | 'committing';

export interface OutputSetOptions extends OutputCheckOptions {
  /** Cancels writing and commit: the set is discarded and the call rejects with E_ABORTED. */
  signal?: AbortSignal;
  /** Told the temporary files of killed runs that were removed (default: removed silently). */
  onLeftovers?: (removed: string[]) => void;
  /** Awaited when the temporary files are open ('ready') and when all is written ('committing'). */
  onStage?: (stage: OutputStage) => void | Promise<void>;
}

/** One output being written. */
export interface OutputFile {
  readonly path: string;
  /** Appends all of `bytes` to the temporary file. */
  write(bytes: Uint8Array): Promise<void>;
}

/** fs calls write at most 2 GiB at once; stay well below. */
const WRITE_CHUNK = 1 << 28;

/** link() errors meaning the file system has no hard links (FAT, some network mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

interface Pending extends CheckedOutput {
  temp: string;
  handle?: FileHandle;
  written: boolean;
}

/** A committed output, with how to undo the commit and how to finish it. */
interface Moved {
  rollback(): void;
  finish(): void;
}

function lstatOrUndefinedSync(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function unlinkQuietlySync(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function appeared(out: Pending): NmsparseError {
  return new NmsparseError('E_IO', `${out.label} ${out.path} appeared while this run was writing it; it was left as it is (use --force to replace it)`);
}

/** link(temp, target): false where the file system has no hard links; throws `appeared` if the target exists. */
function linkNoReplace(out: Pending): boolean {
  try {
    linkSync(out.temp, out.target);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') throw appeared(out);
    if (NO_HARD_LINKS.has(code)) return false;
    throw err;
  }
}

/**
 * Moves `out.temp` to a target that does not exist; throws `appeared` if it exists by now.
 * Where the file system has no hard links, the name is claimed by an exclusive create first.
 */
function moveNew(out: Pending): Moved {
  const inode = lstatSync(out.temp).ino;
  if (linkNoReplace(out)) {
    return {
      rollback: () => {
        if (lstatOrUndefinedSync(out.target)?.ino === inode) unlinkSync(out.target);
      },
      finish: () => unlinkQuietlySync(out.temp),
    };
  }
  try {
    closeSync(openSync(out.target, 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw appeared(out);
    throw err;
  }
  try {
    renameSync(out.temp, out.target); // over the placeholder this run created
  } catch (err) {
    unlinkQuietlySync(out.target);
    throw err;
  }
  return { rollback: () => unlinkSync(out.target), finish: () => undefined };
}

/** Replaces an existing regular file or symbolic link (never what a link points to); keeps the old one until finish. */
function moveOver(out: Pending, old: Stats): Moved {
  const kind = unwritableKind(old);
  if (kind) throw new NmsparseError('E_IO', `${out.label} ${out.path} became ${kind} while this run was writing it; it was left as it is`);
  const backup = newTempPath(out.target);
  let preserved: 'copy' | 'moved';
  try {
    if (old.isSymbolicLink()) symlinkSync(readlinkSync(out.target), backup);
    else linkSync(out.target, backup);
    preserved = 'copy';
  } catch (err) {
    if (!NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) {
      releaseTempPath(backup);
      throw err;
    }
    renameSync(out.target, backup);
    preserved = 'moved';
  }
  try {
    renameSync(out.temp, out.target);
  } catch (err) {
    if (preserved === 'moved') renameSync(backup, out.target);
    else unlinkQuietlySync(backup);
    releaseTempPath(backup);
    throw err;
  }
  const done = () => releaseTempPath(backup);
  return {
    rollback: () => {
      renameSync(backup, out.target);
      done();
    },
    finish: () => {
      unlinkQuietlySync(backup);
      done();
    },
  };
}

function moveOne(out: Pending, force: boolean): Moved {
  const old = lstatOrUndefinedSync(out.target);
  if (old === undefined) {
    try {
      return moveNew(out);
    } catch (err) {
      // With force, a file that appeared meanwhile is replaced like one that was there from the start.
      const newcomer = err instanceof NmsparseError && force ? lstatOrUndefinedSync(out.target) : undefined;
      if (newcomer === undefined) throw err;
      return moveOver(out, newcomer);
    }
  }
  if (!force) throw appeared(out);
  return moveOver(out, old);
}

/** Moves every temporary file into place, or none: synchronous, so no signal handler runs in between. */
function moveAllSync(outputs: readonly Pending[], force: boolean): void {
  const moved: Moved[] = [];
  try {
    for (const out of outputs) {
      try {
        moved.push(moveOne(out, force));
      } catch (err) {
        throw fsError('commit', out.path, err);
      }
    }
  } catch (err) {
    for (const m of moved.reverse()) {
      try {
        m.rollback();
      } catch {
        // best effort: the error that stopped the commit is the one to report
      }
    }
    throw err;
  }
  for (const m of moved) m.finish();
}

/** Makes the renames durable: fsync of each target folder (best effort: not every platform allows it). */
async function syncFolders(outputs: readonly Pending[]): Promise<void> {
  for (const folder of new Set(outputs.map((o) => dirname(o.target)))) {
    const handle = await open(folder, 'r').catch(() => undefined);
    await handle?.sync().catch(() => undefined);
    await handle?.close().catch(() => undefined);
  }
}

export class OutputSet {
  private state: 'open' | 'committed' | 'discarded' = 'open';

  private constructor(
    private readonly outputs: readonly Pending[],
    private readonly options: OutputSetOptions,
  ) {}

  /** Checks every output, removes leftovers of killed runs, and opens a temporary file for each. */
  static async create(outputs: readonly OutputSpec[], options: OutputSetOptions = {}): Promise<OutputSet> {
    throwIfAborted(options.signal);
    const checked = await checkOutputs(outputs, options);
    const removed: string[] = [];
    // Cleaning up after others is a courtesy: a folder that cannot be listed fails later, clearly, if at all.
    for (const out of checked) removed.push(...(await removeLeftovers(out.target).catch(() => [])));
    if (removed.length > 0) options.onLeftovers?.(removed);
    const pending: Pending[] = checked.map((out) => ({ ...out, temp: newTempPath(out.target), written: false }));
    const set = new OutputSet(pending, options);
    try {
      for (const out of pending) {
        try {
          out.handle = await open(out.temp, 'wx');
        } catch (err) {
          releaseTempPath(out.temp);
          throw fsError('create a temporary file for', out.path, err);
        }
      }
      await options.onStage?.('ready');
      throwIfAborted(options.signal);
    } catch (err) {
      await set.discard();
      throw err;
    }
    return set;
  }

  /** The declared output at `path` (the same string as given to `create`). */
  file(path: string): OutputFile {
    const out = this.outputs.find((o) => o.path === path);
    if (!out) throw new NmsparseError('E_IO', `${path} is not one of this run's declared outputs`);
    return { path, write: (bytes) => this.write(out, bytes) };
  }

  private async write(out: Pending, bytes: Uint8Array): Promise<void> {
    if (this.state !== 'open' || !out.handle) throw new NmsparseError('E_IO', `${out.label} ${out.path} is already closed`);
    try {
      throwIfAborted(this.options.signal);
      for (let start = 0; start < bytes.byteLength; ) {
        const end = Math.min(bytes.byteLength, start + WRITE_CHUNK);
        const { bytesWritten } = await out.handle.write(bytes, start, end - start);
        start += bytesWritten;
      }
      out.written = true;
    } catch (err) {
      await this.discard();
      throw fsError('write', out.path, err);
    }
  }

  /**
   * Flushes every output and moves all of them into place, or none (then the set is discarded).
   * Once committed, a second call does nothing: a run may commit before it reports, inside `writeOutputs`.
   */
  async commit(): Promise<void> {
    if (this.state === 'committed') return;
    if (this.state !== 'open') throw new NmsparseError('E_IO', `outputs ${this.names()} were discarded`);
    try {
      for (const out of this.outputs) {
        if (!out.written) throw new NmsparseError('E_IO', `${out.label} ${out.path} was declared but nothing was written to it`);
        try {
          await out.handle?.sync();
        } catch (err) {
          throw fsError('write', out.path, err);
        } finally {
          await out.handle?.close().catch(() => undefined);
          out.handle = undefined;
        }
      }
      throwIfAborted(this.options.signal);
      await this.options.onStage?.('committing');
      throwIfAborted(this.options.signal);
      moveAllSync(this.outputs, this.options.force === true);
      this.state = 'committed';
      for (const out of this.outputs) releaseTempPath(out.temp);
    } catch (err) {
      await this.discard();
      throw err;
    }
    await syncFolders(this.outputs);
  }

  /** Removes the temporary files; safe after a failure and when called twice. */
  async discard(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'discarded';
    for (const out of this.outputs) {
      await out.handle?.close().catch(() => undefined);
      out.handle = undefined;
      await unlink(out.temp).catch(() => undefined);
      releaseTempPath(out.temp);
    }
  }

  private names(): string {
    return this.outputs.map((o) => o.path).join(', ');
  }
}

/**
 * Runs `work` with the outputs open, then commits them all (unless `work` did, so as to report after
 * the commit); on any failure (including cancellation through `options.signal`) nothing appears and
 * the temporary files are removed.
 */
export async function writeOutputs<T>(outputs: readonly OutputSpec[], options: OutputSetOptions, work: (set: OutputSet) => Promise<T>): Promise<T> {
  const set = await OutputSet.create(outputs, options);
  try {
    const result = await work(set);
    await set.commit();
    return result;
  } catch (err) {
    await set.discard();
    throw err;
  }
}
