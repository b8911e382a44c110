// standardMask starts its kernel before it has checked the scores' finiteness (the check runs in
// slices while the kernel works): a NaN or ±Infinity anywhere must still reject with E_NONFINITE naming
// the first such entry, exactly as toMatrix does, on every backend, inline and on the pool; the
// caller's AbortSignal must still stop the call.
import { afterAll, describe, expect, it } from 'vitest';
import { configureWasm, standardMask, toMatrix } from '../../src/index.js';
import { absGaussianMatrix } from '../support/random.js';

afterAll(async () => {
  await configureWasm({ threads: 2, minParallelUnits: 4096 });
});

/** The error toMatrix gives for the same data (the reference message). */
function toMatrixError(x: { rows: number; cols: number; data: Float32Array }): unknown {
  try {
    toMatrix(x, 'scores');
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('standardMask on non-finite scores', () => {
  // 1024 × 1040: more than one slice of the check (2^20 values), so a value in the second slice is found
  // after the kernel has run for a while.
  const rows = 1024;
  const cols = 1040;
  const places = [0, 17, (1 << 20) + 5, rows * cols - 1];

  it('rejects with the E_NONFINITE of toMatrix, for the first bad entry, inline, pooled and on the reference', async () => {
    for (const [backend, threads] of [['wasm', 1], ['wasm', 2], ['reference', 1]] as const) {
      await configureWasm({ threads, minParallelUnits: threads === 2 ? 0 : 4096 });
      for (const at of places) {
        for (const value of [Number.NaN, Infinity, -Infinity]) {
          const x = absGaussianMatrix(rows, cols, at + 1);
          x.data[at] = value;
          if (at + 100 < x.data.length) x.data[at + 100] = Number.NaN; // a later one must not be the one named
          const want = toMatrixError(x) as Error & { code: string };
          expect(want.message).toContain(`[${Math.floor(at / cols)}, ${at % cols}]`);
          await expect(standardMask(x, { n: 2, m: 4, backend })).rejects.toMatchObject({ code: 'E_NONFINITE', message: want.message });
        }
      }
    }
  });

  it('still stops on the caller’s AbortSignal, fired before or during the call, and leaves finite calls alone', async () => {
    await configureWasm({ threads: 2, minParallelUnits: 0 });
    const x = absGaussianMatrix(rows, cols, 3);
    await expect(standardMask(x, { n: 2, m: 4, backend: 'wasm', signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    const controller = new AbortController();
    const running = standardMask(x, { n: 2, m: 4, backend: 'wasm', signal: controller.signal, onProgress: () => controller.abort() });
    await expect(running).rejects.toMatchObject({ code: 'E_ABORTED' });
    const fine = await standardMask(x, { n: 2, m: 4, backend: 'wasm' });
    const inline = await standardMask(x, { n: 2, m: 4, backend: 'reference' });
    expect(fine.mask).toEqual(inline.mask);
    expect(fine.objective).toBe(inline.objective);
  });
});
