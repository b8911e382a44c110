/**
 * Checks a run's declared output files before any work (docs/cli.md, "Nothing lost"):
 * - a path that names a folder (`''`, `dir/`, `.`, `..`, an existing directory) is refused;
 * - the parent folder must exist and be writable;
 * - only regular files are ever replaced, and only with `force`; a device, FIFO or socket is refused
 *   even with `force`; a symbolic link is refused without `force` and with it the link itself is
 *   replaced (the file it points to is never written);
 * - outputs are distinct from each other and from every input: same location, same real path
 *   (symbolic links followed) or same device and inode (hard links) all count as the same file.
 * Every refusal is an NmsparseError E_IO whose message names the flag and the path.
 */
import { access, constants, lstat, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NmsparseError } from '../core/errors.js';
import { fsError } from './fsError.js';

/** One output file of a run, and how the user named it (for messages: `-o`, `--mask-out`, …). */
export interface OutputSpec {
  path: string;
  /** Default: 'output'. */
  label?: string;
}

/** An output that passed the checks. */
export interface CheckedOutput {
  path: string;
  label: string;
  /** The absolute location written: real parent folder + file name (a final symbolic link is not followed). */
  target: string;
}

export interface OutputCheckOptions {
  /** Replace existing regular files and symbolic links (default: refuse). */
  force?: boolean;
  /** Files the run reads: no output may be one of them, even with force. */
  inputs?: readonly string[];
}

/** What one path is known to be: every name under which it could be the same file as another. */
interface Identity {
  location: string;
  real?: string;
  inode?: string;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** What a lookup tells, or undefined when it cannot tell (missing, a loop of links, no permission). */
async function ifKnown<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch {
    return undefined;
  }
}

function inodeOf(s: Stats | undefined): string | undefined {
  return s === undefined ? undefined : `${s.dev}:${s.ino}`;
}

/** The kind of a node that may never be an output, or undefined for a regular file or symbolic link. */
export function unwritableKind(s: Stats): string | undefined {
  if (s.isDirectory()) return 'a directory';
  if (s.isBlockDevice() || s.isCharacterDevice()) return 'a device';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isFile() || s.isSymbolicLink()) return undefined;
  return 'not a regular file';
}

function refuse(out: { label: string; path: string }, problem: string): NmsparseError {
  return new NmsparseError('E_IO', `${out.label} ${out.path} ${problem}`);
}

/** The location a path names: its real parent folder (which must exist and be writable) + its name. */
async function outputLocation(out: { label: string; path: string }): Promise<string> {
  if (out.path === '') throw refuse(out, "is empty; give a file name such as 'out.npy'");
  if (/(^|[\\/])\.{0,2}$/.test(out.path)) throw refuse(out, 'names a folder; give a file name');
  const absolute = resolve(out.path);
  const folder = dirname(absolute);
  let realFolder: string;
  try {
    realFolder = await realpath(folder);
    if (!(await stat(realFolder)).isDirectory()) throw refuse(out, `cannot be written: ${folder} is not a folder`);
    await access(realFolder, constants.W_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof NmsparseError) throw err;
    if (isMissing(err)) throw refuse(out, `cannot be written: folder ${folder} does not exist (${(err as NodeJS.ErrnoException).code})`);
    throw refuse(out, `cannot be written: ${fsError('write in folder', folder, err).message}`);
  }
  return join(realFolder, basename(absolute));
}

async function inputIdentity(path: string): Promise<Identity> {
  const absolute = resolve(path);
  const folder = await ifKnown(realpath(dirname(absolute)));
  return {
    location: folder === undefined ? absolute : join(folder, basename(absolute)),
    real: await ifKnown(realpath(absolute)),
    inode: inodeOf(await ifKnown(stat(absolute))),
  };
}

function sameFile(a: Identity, b: Identity): boolean {
  const names = [a.location, a.real].filter((x) => x !== undefined);
  return (
    names.includes(b.location) ||
    (b.real !== undefined && names.includes(b.real)) ||
    (a.inode !== undefined && a.inode === b.inode)
  );
}

/**
 * Checks every output of a run at once, before any work; returns them with their locations.
 * Inputs that do not exist (or cannot be resolved) are compared by location only: reading them fails
 * later, clearly.
 */
export async function checkOutputs(outputs: readonly OutputSpec[], options: OutputCheckOptions = {}): Promise<CheckedOutput[]> {
  const inputs = await Promise.all((options.inputs ?? []).map(inputIdentity));
  const checked: Array<CheckedOutput & { identity: Identity }> = [];
  for (const spec of outputs) {
    const out = { path: spec.path, label: spec.label ?? 'output' };
    const target = await outputLocation(out);
    let node: Stats | undefined;
    try {
      node = await lstat(target);
    } catch (err) {
      if (!isMissing(err)) throw fsError('inspect', out.path, err);
    }
    const kind = node && unwritableKind(node);
    if (kind) throw refuse(out, `is ${kind}; nmsparse writes regular files only, even with --force`);
    const identity: Identity = {
      location: target,
      real: node && (await ifKnown(realpath(target))),
      inode: node && inodeOf(await ifKnown(stat(target))),
    };
    const input = inputs.findIndex((i) => sameFile(identity, i));
    if (input >= 0) {
      const named = options.inputs?.[input] as string;
      throw refuse(out, `is ${named === out.path ? 'also an input' : `the same file as input ${named}`}; write the output to a different file`);
    }
    const other = checked.find((c) => sameFile(identity, c.identity));
    if (other) throw refuse(out, `is the same file as ${other.label} ${other.path}; every output needs its own file`);
    if (node && !options.force) {
      const what = node.isSymbolicLink() ? 'is a symbolic link; --force replaces the link itself, not the file it points to' : 'already exists; use --force (force: true) to replace it';
      throw refuse(out, what);
    }
    checked.push({ ...out, target, identity });
  }
  return checked.map(({ path, label, target }) => ({ path, label, target }));
}
