// A bump layout inside the caller's scratch block: every kernel lays out its work arrays with
// take(), so the same code both sizes the block (laid out from 0) and places the arrays, and a
// kernel that runs another (bandTiles) lays that one's arrays out first, then its own. Sizes add up
// in f64: a block past 4 GiB is reported as such, for the caller to refuse, instead of wrapping in
// 32 bits (issue 10 #2). Blocks start 16-byte aligned and every array is.

let cursor: f64 = 0;

/** Starts laying out arrays at `base` (16-byte aligned). */
export function layoutAt(base: usize): void {
  cursor = <f64>base;
}

/** Reserves `count` elements of `bytesEach` bytes, rounded up to 16, and returns where they start. */
export function take(count: f64, bytesEach: i32): usize {
  const at = cursor;
  cursor += Math.ceil((count * <f64>bytesEach) / 16) * 16;
  return <usize>at;
}

/** The end of the layout so far (its size when it started at 0). */
export function layoutEnd(): f64 {
  return cursor;
}
