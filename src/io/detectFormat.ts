/**
 * Which file format a file holds, read from its first bytes rather than its name (a name may have any
 * case or extension): .npy starts with the magic `\x93NUMPY`; safetensors with an 8-byte little-endian
 * header length and then the header's first byte, `{` (the reference library requires it).
 */
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import { withFileSource } from './byteSource.js';

/** 'safetensors-index': the JSON index of a sharded safetensors checkpoint (src/io/checkpoint.ts). */
export type FileFormat = 'npy' | 'safetensors' | 'safetensors-index';

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** The bytes detectFormat needs: enough for both signatures. */
const SIGNATURE_BYTES = 9;
/** Bytes read to tell a JSON index (possibly after whitespace) from the binary formats. */
const INDEX_PROBE_BYTES = 64;

/** The format of a file that starts with `first`, or undefined when it is neither. */
export function formatOfBytes(first: Uint8Array): FileFormat | undefined {
  if (first.length >= NPY_MAGIC.length && NPY_MAGIC.every((b, i) => first[i] === b)) return 'npy';
  if (first.length >= SIGNATURE_BYTES && first[8] === 0x7b) {
    const headerLength = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
    if (headerLength >= 2n) return 'safetensors'; // '{}' is the shortest header
  }
  return undefined;
}

/**
 * Reads the first bytes of `path`: 'npy', 'safetensors', or 'safetensors-index' (JSON text that is
 * neither: the index of a sharded checkpoint); E_FORMAT when it is none of these, E_IO when unreadable.
 */
export async function detectFormat(path: string): Promise<FileFormat> {
  const first = await withFileSource(path, (source) => source.read(0, Math.min(INDEX_PROBE_BYTES, source.size)));
  const format = formatOfBytes(first);
  if (format) return format;
  if (new TextDecoder().decode(first).trimStart().startsWith('{')) return 'safetensors-index';
  throw new NmsparseError(
    'E_FORMAT',
    `${displayText(path, 120)} is neither a .npy file (it would start with \\x93NUMPY) nor a safetensors file (an 8-byte header length, then '{') nor the JSON index of a sharded checkpoint`,
  );
}
