/**
 * Typed arrays lent for the length of one call and reused from call to call: the mask API's snapshot
 * of the caller's scores (core/snapshot.ts) and a backend's per-call working arrays. On the 2-core
 * machine of docs/benchmarks.md a fresh 64 MB array cost ~30 ms of page faults and collector work
 * where a reused one cost nothing; an 8 MB array of per-tile bounds (4096², 2:4) ~30 ms.
 *
 * Invariants: a lent array is its borrower's alone until released (two overlapping loans get two
 * buffers); each pool keeps at most one released buffer, and drops it once no loan has taken it for
 * IDLE_MS, so an idle process does not hold the memory. Lent contents are whatever was there before.
 */

/** How long a released buffer waits for the next loan before it is dropped. */
export const IDLE_MS = 2000;

export interface Loan<T> {
  /** `length` elements (a view of the pool's buffer). */
  readonly data: T;
  /** Hands the buffer back; the data must not be used after this. Repeated calls do nothing. */
  release(): void;
}

type Elements = Float32Array | Float64Array;

/** One pool per element type: a single idle buffer, reused by a loan that fits it. */
export class BufferPool<T extends Elements> {
  private idle: T | undefined;
  private dropTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly allocate: (length: number) => T) {}

  borrow(length: number): Loan<T> {
    // An empty loan neither takes nor replaces the idle buffer.
    if (length === 0) return { data: this.allocate(0), release: () => undefined };
    // Reuse the idle buffer when it fits without holding more than twice what this loan needs.
    const idle = this.idle;
    const fits = idle !== undefined && idle.length >= length && idle.length <= 2 * length;
    const buffer = fits ? idle : this.allocate(length);
    if (fits) this.idle = undefined;
    let released = false;
    return {
      data: buffer.subarray(0, length) as T,
      release: () => {
        if (released) return;
        released = true;
        this.keep(buffer);
      },
    };
  }

  private keep(buffer: T): void {
    this.idle = buffer;
    if (this.dropTimer !== undefined) clearTimeout(this.dropTimer);
    this.dropTimer = setTimeout(() => {
      this.idle = undefined;
      this.dropTimer = undefined;
    }, IDLE_MS);
    // Node: the timer must not keep the process alive (other runtimes have no unref).
    (this.dropTimer as { unref?: () => void }).unref?.();
  }
}

export const f32Buffers = new BufferPool((length) => new Float32Array(length));
export const f64Buffers = new BufferPool((length) => new Float64Array(length));
