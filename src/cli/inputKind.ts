/**
 * The kind of an input file, from its first bytes rather than its name (W.SAFETENSORS, a model saved
 * as .bin): .npy starts with \x93NUMPY; safetensors with an 8-byte little-endian header length and then
 * the header's '{'. Also the rule for output names: an output whose extension (any case) names the
 * other format is refused, so `mask x.npy -o y.safetensors` never writes .npy bytes under that name.
 */
import { open } from 'node:fs/promises';
import { NmsparseError } from '../core/errors.js';
import { displayText } from './display.js';
import type { InputKind } from './flags.js';

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PROBE_BYTES = 9;

/** What the first bytes say; undefined when they are neither format. */
export function kindOfBytes(head: Uint8Array): InputKind | undefined {
  if (NPY_MAGIC.every((b, i) => head[i] === b)) return 'npy';
  if (head.length >= PROBE_BYTES && head[8] === 0x7b) return 'safetensors';
  return undefined;
}

function readError(path: string, err: unknown): NmsparseError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
  return new NmsparseError('E_IO', `cannot read ${displayText(path, 120)}: ${reason}`, { cause: err });
}

export async function detectInputKind(path: string): Promise<InputKind> {
  let head: Uint8Array;
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = new Uint8Array(PROBE_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, PROBE_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw readError(path, err);
  }
  const kind = kindOfBytes(head);
  if (!kind) {
    throw new NmsparseError('E_FORMAT', `${displayText(path, 120)} is neither a .npy file (\\x93NUMPY) nor a safetensors file (header length, then '{')`);
  }
  return kind;
}

const EXTENSIONS: Record<InputKind, string> = { npy: '.npy', safetensors: '.safetensors' };

/** Refuses an output name whose extension names another format than the one written. */
export function checkOutputName(path: string, kind: InputKind, flag: string): void {
  const lower = path.toLowerCase();
  for (const [other, ext] of Object.entries(EXTENSIONS)) {
    if (other !== kind && lower.endsWith(ext)) {
      throw new NmsparseError(
        'E_OPTION',
        `${flag} ${displayText(path, 120)} names a ${ext} file, but this writes ${EXTENSIONS[kind]} (the input's format); give a ${EXTENSIONS[kind]} name`,
      );
    }
  }
}
