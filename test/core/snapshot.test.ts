// The reused snapshot buffer (src/core/snapshot.ts): a snapshot is a copy that later changes to the
// source do not reach; a released buffer serves the next call that fits; overlapping snapshots never
// share a buffer; a second release does nothing; an idle buffer is dropped after IDLE_MS.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDLE_MS, takeSnapshot } from '../../src/core/snapshot.js';
import { transposableMask } from '../../src/index.js';
import { absGaussianMatrix } from '../support/random.js';

const ramp = (length: number) => Float32Array.from({ length }, (_, i) => i + 0.5);

afterEach(() => {
  vi.useRealTimers();
});

describe('takeSnapshot', () => {
  it('copies the data; later changes to the source do not reach it', () => {
    const source = ramp(10);
    const s = takeSnapshot(source);
    source.fill(-1);
    expect(Array.from(s.data)).toEqual(Array.from(ramp(10)));
    s.release();
  });

  it('hands a released buffer to the next call that fits, never to two at once', () => {
    const a = takeSnapshot(ramp(100));
    const b = takeSnapshot(ramp(100));
    expect(b.data.buffer).not.toBe(a.data.buffer);
    const buffer = a.data.buffer;
    a.release();
    const c = takeSnapshot(ramp(60)); // fits: 60 ≤ 100 ≤ 120
    expect(c.data.buffer).toBe(buffer);
    expect(c.data.length).toBe(60);
    expect(Array.from(c.data)).toEqual(Array.from(ramp(60)));
    a.release(); // a second release must not free the buffer c now holds
    const d = takeSnapshot(ramp(100));
    expect(d.data.buffer).not.toBe(buffer);
    for (const s of [b, c, d]) s.release();
  });

  it('does not reuse a buffer too small, or more than twice the size needed', () => {
    const big = takeSnapshot(ramp(1000));
    const buffer = big.data.buffer;
    big.release();
    const small = takeSnapshot(ramp(400)); // 1000 > 2 × 400
    expect(small.data.buffer).not.toBe(buffer);
    small.release();
    const larger = takeSnapshot(ramp(500)); // the idle one now holds 400: too small
    expect(larger.data.length).toBe(500);
    expect(Array.from(larger.data)).toEqual(Array.from(ramp(500)));
    larger.release();
  });

  it('drops an idle buffer after IDLE_MS', () => {
    vi.useFakeTimers();
    const a = takeSnapshot(ramp(50));
    const buffer = a.data.buffer;
    a.release();
    vi.advanceTimersByTime(IDLE_MS - 1);
    const b = takeSnapshot(ramp(50));
    expect(b.data.buffer).toBe(buffer);
    b.release();
    vi.advanceTimersByTime(IDLE_MS);
    const c = takeSnapshot(ramp(50));
    expect(c.data.buffer).not.toBe(buffer);
    c.release();
  });
});

describe('transposableMask snapshots of overlapping calls', () => {
  it('each call keeps its own scores while both callers change theirs', async () => {
    const x = absGaussianMatrix(64, 64, 1);
    const y = absGaussianMatrix(64, 64, 2);
    const want = await Promise.all([
      transposableMask({ ...x, data: x.data.slice() }, { n: 4, m: 8, backend: 'wasm' }),
      transposableMask({ ...y, data: y.data.slice() }, { n: 4, m: 8, backend: 'wasm' }),
    ]);
    for (let round = 0; round < 3; round++) {
      const running = [transposableMask(x, { n: 4, m: 8, backend: 'wasm' }), transposableMask(y, { n: 4, m: 8, backend: 'wasm' })];
      const keep = [x.data.slice(), y.data.slice()];
      x.data.fill(0);
      y.data.fill(1);
      const got = await Promise.all(running);
      x.data.set(keep[0] as Float32Array);
      y.data.set(keep[1] as Float32Array);
      for (let k = 0; k < 2; k++) {
        expect(got[k]?.mask).toEqual(want[k]?.mask);
        expect(got[k]?.objective).toBe(want[k]?.objective);
      }
    }
  });
});
