import { NmsparseError } from '../core/errors.js';
import { readNpyFile, readNpyMaskFile } from '../io/npy.js';
import type { Matrix } from '../core/matrix.js';

/** Reads a 2-D float .npy file as an f32 Matrix (validation of values happens in the API). */
export async function readMatrixNpy(path: string, what: string): Promise<Matrix> {
  const arr = await readNpyFile(path);
  if (arr.shape.length !== 2) {
    throw new NmsparseError('E_SHAPE', `${what} ${path} has shape (${arr.shape.join(', ')}); a 2-D matrix is required`);
  }
  if (!(arr.data instanceof Float32Array)) {
    throw new NmsparseError('E_DTYPE', `${what} ${path} has dtype ${arr.dtype}; scores and weights must be f16, f32 or f64`);
  }
  const [rows, cols] = arr.shape as [number, number];
  return { rows, cols, data: arr.data };
}

/** Reads a 2-D .npy mask at its stored precision (values are judged by the verifier's mask rule). */
export async function readMaskNpy(path: string): Promise<{ rows: number; cols: number; data: ArrayLike<number> }> {
  const arr = await readNpyMaskFile(path);
  if (arr.shape.length !== 2) {
    throw new NmsparseError('E_SHAPE', `mask ${path} has shape (${arr.shape.join(', ')}); a 2-D mask is required`);
  }
  const [rows, cols] = arr.shape as [number, number];
  return { rows, cols, data: arr.data };
}
