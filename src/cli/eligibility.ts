// Which tensors of a checkpoint get a mask under a Selection, and in words why the others do not.
import { isFloatDtype, type TensorInfo } from '../io/index.js';
import type { Selection } from './sharedFlags.js';

export type Eligibility = { eligible: true; rows: number; cols: number } | { eligible: false; reason: string };

/** The matrix a tensor is masked as, or undefined when it is not a matrix (rank 2, or 4 with conv). */
export function matrixShape(shape: readonly number[], conv: boolean): { rows: number; cols: number } | undefined {
  const [a, b, c, d] = shape as [number, number, number, number];
  if (shape.length === 2) return { rows: a, cols: b };
  if (shape.length === 4 && conv) return { rows: a, cols: b * c * d };
  return undefined;
}

/** Whether a tensor gets a mask under `selection`, and if not, why (one short phrase). */
export function eligibility(tensor: TensorInfo, selection: Selection): Eligibility {
  const { m, transposable, conv, include, exclude } = selection;
  if (include.length > 0 && !include.some((r) => r.test(tensor.name))) return { eligible: false, reason: 'not matched by --include' };
  if (exclude.some((r) => r.test(tensor.name))) return { eligible: false, reason: 'matched by --exclude' };
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
