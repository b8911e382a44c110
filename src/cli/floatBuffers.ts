/**
 * Reuse of the f32 buffers the checkpoint loops decode tensors into. A tensor's buffer is handed back
 * once nothing reads it any more (its solve or certificate has resolved) and handed out again for a
 * later tensor of the same size, so a run of equal-shaped tensors allocates two buffers in all instead
 * of one per tensor, whose garbage would otherwise pile up until the collector runs (peak memory).
 * Invariant: at most MAX_KEPT idle buffers are held.
 */
const MAX_KEPT = 2;

export class FloatBuffers {
  private readonly idle: Float32Array[] = [];

  /** An idle buffer of `length` values (contents unspecified), or a new one. */
  take(length: number): Float32Array {
    const at = this.idle.findIndex((b) => b.length === length);
    return at >= 0 ? (this.idle.splice(at, 1)[0] as Float32Array) : new Float32Array(length);
  }

  /** Hands a buffer back; the caller must not use it afterwards. */
  give(buffer: Float32Array): void {
    if (this.idle.length >= MAX_KEPT) this.idle.shift();
    this.idle.push(buffer);
  }
}
