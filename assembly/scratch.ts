// A bump layout inside the caller's scratch block: every kernel lays out its work arrays with
// take(), so the same code both sizes the block (starting at 0) and places the arrays.

let cursor: usize = 0;

/** Starts laying out arrays at `base`. */
export function layoutAt(base: usize): void {
  cursor = base;
}

/** Reserves `bytes` (16-byte aligned) and returns where they start. */
export function take(bytes: i32): usize {
  const at = cursor;
  cursor += (<usize>bytes + 15) & ~(<usize>15);
  return at;
}

/** The end of the layout so far. */
export function layoutEnd(): usize {
  return cursor;
}
