/**
 * One-ahead prefetching for the checkpoint loops: while the caller works on item k (a solve that runs
 * on the worker pool and leaves the main thread idle), item k + 1 is read from disk and decoded.
 * Invariants: items are handed out strictly in order, each prepared exactly once; at most two are
 * held at a time (the one being worked on and the next), so memory stays bounded by two tensors; a
 * preparation that fails surfaces at the take() that asks for it, never as an unhandled rejection.
 */
export class Prefetcher<T, P> {
  private index = 0;
  private pending: Promise<P> | undefined;

  constructor(
    private readonly items: readonly T[],
    private readonly prepare: (item: T) => Promise<P>,
  ) {}

  /** The next item, prepared; starts preparing the one after it before returning. */
  async take(): Promise<P> {
    if (this.index >= this.items.length) throw new RangeError('Prefetcher: no item left');
    const current = this.pending ?? this.start(this.index);
    this.pending = undefined;
    this.index++;
    const value = await current;
    if (this.index < this.items.length) this.pending = this.start(this.index);
    return value;
  }

  private start(index: number): Promise<P> {
    const work = this.prepare(this.items[index] as T);
    // Observed here so that a failure nobody takes (the run stopped first) is not an unhandled rejection.
    work.catch(() => undefined);
    return work;
  }
}
