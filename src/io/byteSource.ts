/**
 * Random-access bytes for the readers: a file read by ranges through one handle, or a buffer in
 * memory. Reading by ranges keeps files of any size readable (fs reads move at most 2 GiB at once,
 * and readFile refuses files over 2 GiB) and lets a reader hold one tensor at a time.
 */
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { NmsparseError } from '../core/errors.js';
import { fsError } from './fsError.js';

export interface ByteSource {
  /** For messages: the path, or a description. */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `position`; E_FORMAT if the source ends first. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Fills `target` with the bytes at `position`; E_FORMAT if the source ends first. */
  readInto(position: number, target: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

function endsEarly(name: string, end: number, wanted: number): NmsparseError {
  return new NmsparseError('E_FORMAT', `${name}: ends at byte ${end}, before ${wanted}; was it truncated while being read?`);
}

export function memorySource(bytes: Uint8Array, name = 'safetensors data'): ByteSource {
  const readInto = async (position: number, target: Uint8Array) => {
    if (position + target.length > bytes.byteLength) throw endsEarly(name, bytes.byteLength, position + target.length);
    target.set(bytes.subarray(position, position + target.length));
  };
  return {
    name,
    size: bytes.byteLength,
    readInto,
    async read(position, length) {
      const out = new Uint8Array(length);
      await readInto(position, out);
      return out;
    },
    async close() {},
  };
}

/** One read call moves at most this much (fs reads are limited to 2 GiB). */
const READ_CHUNK = 1 << 28;

async function readExactly(handle: FileHandle, path: string, position: number, target: Uint8Array): Promise<void> {
  for (let done = 0; done < target.length; ) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(target, done, Math.min(READ_CHUNK, target.length - done), position + done));
    } catch (err) {
      throw fsError('read', path, err);
    }
    if (bytesRead === 0) throw endsEarly(path, position + done, position + target.length);
    done += bytesRead;
  }
}

/** E_IO unless `stats` is a regular file: only those can be read by ranges. */
function checkRegular(stats: Stats, path: string): void {
  if (stats.isDirectory()) throw new NmsparseError('E_IO', `cannot read ${path}: it is a directory; give a file`);
  if (!stats.isFile()) {
    throw new NmsparseError('E_IO', `cannot read ${path}: it is not a regular file (a FIFO, socket or device); nmsparse reads files by ranges`);
  }
}

/**
 * Opens `path` for reading by ranges; E_IO naming the path and the reason when it cannot. Only regular
 * files: a FIFO would block the open and has no size to read by ranges.
 */
export async function fileSource(path: string): Promise<ByteSource> {
  // Imported here, not at the top, so that a browser bundle of the byte parsers (memorySource) never
  // loads node:fs (docs/runtimes.md: the demo page bundles them with node:* left external).
  const { open, stat } = await import('node:fs/promises');
  let handle: FileHandle;
  let size: number;
  try {
    checkRegular(await stat(path), path);
    handle = await open(path, 'r');
  } catch (err) {
    throw fsError('read', path, err);
  }
  try {
    const stats = await handle.stat();
    checkRegular(stats, path); // the path may have changed between stat and open
    size = stats.size;
  } catch (err) {
    await handle.close();
    throw fsError('read', path, err);
  }
  const readInto = (position: number, target: Uint8Array) => readExactly(handle, path, position, target);
  return {
    name: path,
    size,
    readInto,
    async read(position, length) {
      const out = new Uint8Array(length);
      await readInto(position, out);
      return out;
    },
    close: () => handle.close(),
  };
}

/** Runs `use` on the file's source and closes it afterwards, whatever happens. */
export async function withFileSource<T>(path: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const source = await fileSource(path);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}
