// A selection network for the N-th largest of P wires: Batcher's odd–even merge sort on P = 2^k
// wires (descending: the larger value goes to the lower wire), pruned to the comparators that can
// change wire N−1. Applied to f32x4 vectors it yields the N-th largest of 4 columns at once.

/** Upper bound on the number of comparators for P wires (P/2 per stage, lg(lg+1)/2 stages). */
export function netCapacity(p: i32): i32 {
  const lg = 31 - clz<i32>(p);
  return max((p >> 1) * ((lg * (lg + 1)) >> 1), 1);
}

/** Bytes of scratch needed by buildNet: the comparator pairs plus one flag byte per wire. */
export function netBytes(p: i32): i32 {
  return netCapacity(p) * 8 + p;
}

/**
 * Writes the pruned network for the `n`-th largest of `p` wires as (hi, lo) i32 pairs at `pairs`
 * and returns how many there are. `need` is p bytes of scratch.
 */
export function buildNet(p: i32, n: i32, pairs: usize, need: usize): i32 {
  let count = 0;
  for (let span = 1; span < p; span <<= 1) {
    for (let k = span; k >= 1; k >>= 1) {
      for (let j = k % span; j + k < p; j += 2 * k) {
        for (let i = 0; i < k && i + j + k < p; i++) {
          if ((i + j) / (2 * span) == (i + j + k) / (2 * span)) {
            store<i32>(pairs + (<usize>count << 3), i + j);
            store<i32>(pairs + (<usize>count << 3), i + j + k, 4);
            count++;
          }
        }
      }
    }
  }
  memory.fill(need, 0, p);
  store<u8>(need + n - 1, 1);
  let kept = count;
  // Walk backwards marking comparators that feed a needed wire; drop the rest (compacted later).
  for (let c = count - 1; c >= 0; c--) {
    const at = pairs + (<usize>c << 3);
    const a = load<i32>(at);
    const b = load<i32>(at, 4);
    if (load<u8>(need + a) | load<u8>(need + b)) {
      store<u8>(need + a, 1);
      store<u8>(need + b, 1);
    } else {
      store<i32>(at, -1);
      kept--;
    }
  }
  let w = 0;
  for (let c = 0; c < count; c++) {
    const at = pairs + (<usize>c << 3);
    const a = load<i32>(at);
    if (a < 0) continue;
    store<i32>(pairs + (<usize>w << 3), a);
    store<i32>(pairs + (<usize>w << 3), load<i32>(at, 4), 4);
    w++;
  }
  return kept;
}
