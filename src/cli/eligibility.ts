import { NmsparseError } from '../core/errors.js';
import { isFloatDtype, type TensorInfo } from '../io/safetensors.js';

/** Which tensors of a checkpoint get a mask. */
export interface Selection {
  m: number;
  transposable: boolean;
  /** Flatten 4-D convolution weights (out, in, kh, kw) to (out, in·kh·kw). */
  conv: boolean;
  include?: RegExp;
  exclude?: RegExp;
}

export type Eligibility = { eligible: true; rows: number; cols: number } | { eligible: false; reason: string };

/** The matrix a tensor is masked as, or undefined when it is not a matrix (rank 2, or 4 with conv). */
export function matrixShape(shape: readonly number[], conv: boolean): { rows: number; cols: number } | undefined {
  if (shape.length === 2) return { rows: shape[0] as number, cols: shape[1] as number };
  if (shape.length === 4 && conv) return { rows: shape[0] as number, cols: (shape[1] as number) * (shape[2] as number) * (shape[3] as number) };
  return undefined;
}

/** Whether a tensor gets a mask under `selection`, and if not, why (one short phrase). */
export function eligibility(tensor: TensorInfo, selection: Selection): Eligibility {
  const { m, transposable, conv, include, exclude } = selection;
  if (include && !include.test(tensor.name)) return { eligible: false, reason: 'not matched by --include' };
  if (exclude?.test(tensor.name)) return { eligible: false, reason: 'matched by --exclude' };
  if (!isFloatDtype(tensor.dtype)) return { eligible: false, reason: `dtype ${tensor.dtype} is not a float type` };
  const matrix = matrixShape(tensor.shape, conv);
  if (!matrix) {
    const rank = tensor.shape.length;
    return { eligible: false, reason: rank === 4 ? '4-D (a convolution weight: add --conv)' : `${rank}-D, not a matrix` };
  }
  const { rows, cols } = matrix;
  if (rows * cols === 0) return { eligible: false, reason: 'empty' };
  if (cols % m !== 0) return { eligible: false, reason: `${cols} columns is not a multiple of M = ${m}` };
  if (transposable && rows % m !== 0) return { eligible: false, reason: `${rows} rows is not a multiple of M = ${m} (transposable)` };
  return { eligible: true, rows, cols };
}

/** Compiles a --include/--exclude pattern; E_OPTION when it is not a valid regular expression. */
export function regexFlag(value: unknown, flag: string): RegExp | undefined {
  if (value === undefined) return undefined;
  try {
    return new RegExp(String(value));
  } catch (err) {
    throw new NmsparseError('E_OPTION', `--${flag} ${JSON.stringify(value)} is not a valid regular expression (${(err as Error).message})`);
  }
}
