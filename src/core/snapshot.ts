/**
 * Private copies of a caller's f32 data for the length of one call (the mask API's snapshot), made in
 * a buffer reused from call to call (core/reusable.ts): a fresh 64 MB array per call (a 4096² matrix)
 * cost ~30 ms of page faults and collector work, a copy into a reused one ~6 ms.
 */
import { f32Buffers, type Loan } from './reusable.js';

export { IDLE_MS } from './reusable.js';

export type Snapshot = Loan<Float32Array>;

/** A copy of `source`, the caller's alone until released. */
export function takeSnapshot(source: Float32Array): Snapshot {
  const loan = f32Buffers.borrow(source.length);
  loan.data.set(source);
  return loan;
}
