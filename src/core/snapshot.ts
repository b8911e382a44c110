/**
 * Private copies of a caller's f32 data for the length of one call (the mask API's snapshot), made in
 * a buffer reused from call to call. A fresh 64 MB array per call (a 4096² matrix) cost ~30 ms of
 * page faults and collector work, a copy into a reused one ~6 ms.
 *
 * Invariants: a taken snapshot is the caller's alone until it is released (two overlapping calls get
 * two buffers); at most one released buffer is kept, and it is dropped once no call has taken it for
 * IDLE_MS, so an idle process does not hold the memory.
 */

/** How long a released buffer waits for the next call before it is dropped. */
export const IDLE_MS = 2000;

let idle: Float32Array | undefined;
let dropTimer: ReturnType<typeof setTimeout> | undefined;

export interface Snapshot {
  /** A copy of the data (a view of the reused buffer). */
  readonly data: Float32Array;
  /** Hands the buffer back; the snapshot must not be read after this. Repeated calls do nothing. */
  release(): void;
}

export function takeSnapshot(source: Float32Array): Snapshot {
  const length = source.length;
  // Reuse the idle buffer when it fits without holding more than twice what this call needs.
  const fits = idle !== undefined && idle.length >= length && idle.length <= 2 * length;
  const buffer = fits ? (idle as Float32Array) : new Float32Array(length);
  if (fits) idle = undefined;
  const data = buffer.subarray(0, length);
  data.set(source);
  let released = false;
  return {
    data,
    release() {
      if (released) return;
      released = true;
      idle = buffer;
      if (dropTimer !== undefined) clearTimeout(dropTimer);
      dropTimer = setTimeout(() => {
        idle = undefined;
        dropTimer = undefined;
      }, IDLE_MS);
      // Node: the timer must not keep the process alive (other runtimes have no unref).
      (dropTimer as { unref?: () => void }).unref?.();
    },
  };
}
