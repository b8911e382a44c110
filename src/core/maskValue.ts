/**
 * The one rule for mask values, in every format and every entry point (docs/formats.md): an entry is
 * kept iff its value is exactly 1 and dropped iff it is exactly 0 (−0 is 0). Anything else — 2, 0.5,
 * −1, NaN, ±Inf, 1 + 1e-12 in f64 — is a value violation, never rounded or coerced. Readers therefore
 * hand masks over at the precision they were stored in (f64 stays f64), so the rule sees the stored value.
 */
export function isMaskValue(value: number): value is 0 | 1 {
  return value === 0 || value === 1;
}

/** Whether a mask entry keeps its weight; only an exact 1 does. */
export function isKept(value: number): boolean {
  return value === 1;
}
