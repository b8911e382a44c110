/**
 * The rule for output names (inputs are told apart by their first bytes, io's detectFormat): an output
 * whose extension (any case) names the other format is refused (a .safetensors.index.json is safetensors), so `mask x.npy -o y.safetensors` never
 * writes .npy bytes under that name.
 */
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import { detectFormat } from '../io/index.js';
import { isIndexPath } from '../io/safetensorsOutput.js';
import type { InputKind } from './flags.js';

/** What a command reads from `path`: a .npy matrix, or a safetensors checkpoint (one file or a sharded index). */
export async function inputKindOf(path: string): Promise<InputKind> {
  const format = await detectFormat(path);
  return format === 'npy' ? 'npy' : 'safetensors';
}

const EXTENSIONS: Record<InputKind, string> = { npy: '.npy', safetensors: '.safetensors' };

/** Refuses an output name whose extension names another format than the one written. */
export function checkOutputName(path: string, kind: InputKind, flag: string): void {
  const lower = path.toLowerCase();
  for (const [other, ext] of Object.entries(EXTENSIONS)) {
    if (other !== kind && (lower.endsWith(ext) || (other === 'safetensors' && isIndexPath(lower)))) {
      throw new NmsparseError(
        'E_OPTION',
        `${flag} ${displayText(path, 120)} names a ${ext} file, but this writes ${EXTENSIONS[kind]} (the input's format); give a ${EXTENSIONS[kind]} name`,
      );
    }
  }
}
