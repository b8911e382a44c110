// The buffer pools of src/core/reusable.ts (the snapshot's f32 pool is tested through takeSnapshot in
// snapshot.test.ts): each element type has its own pool, a loan is its borrower's alone until released,
// and a released buffer serves the next loan that fits.
import { describe, expect, it } from 'vitest';
import { BufferPool, f32Buffers, f64Buffers } from '../../src/core/reusable.js';

describe('BufferPool', () => {
  it('lends the requested length, distinct buffers to overlapping loans, the released one to the next', () => {
    const pool = new BufferPool((n) => new Float64Array(n));
    const a = pool.borrow(8);
    const b = pool.borrow(8);
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(a.data.length).toBe(8);
    expect(b.data.buffer).not.toBe(a.data.buffer);
    a.data.fill(7);
    const buffer = a.data.buffer;
    a.release();
    a.release(); // repeated: still one idle buffer, lent once
    const c = pool.borrow(5);
    expect(c.data.buffer).toBe(buffer);
    expect(c.data.length).toBe(5);
    const d = pool.borrow(5);
    expect(d.data.buffer).not.toBe(buffer);
    for (const loan of [b, c, d]) loan.release();
  });

  it('keeps one pool per element type', () => {
    const f64 = f64Buffers.borrow(16);
    const buffer = f64.data.buffer;
    f64.release();
    const f32 = f32Buffers.borrow(16);
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect(f32.data.buffer).not.toBe(buffer);
    f32.release();
    const again = f64Buffers.borrow(16);
    expect(again.data.buffer).toBe(buffer);
    again.release();
  });

  it('lends an empty array for length 0, leaving the idle buffer for the next loan', () => {
    const pool = new BufferPool((n) => new Float64Array(n));
    const big = pool.borrow(100);
    const buffer = big.data.buffer;
    big.release();
    const empty = pool.borrow(0);
    expect(empty.data.length).toBe(0);
    empty.release();
    const again = pool.borrow(100);
    expect(again.data.buffer).toBe(buffer);
    again.release();
  });
});
