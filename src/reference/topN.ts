/**
 * Marks the N largest of `values` in `keep` (ties: lower index first) and returns the threshold that
 * separates kept from dropped values: the N-th largest. Under `atMost` only positive values are kept
 * and the threshold is at least 0 (a line with fewer than N positive values keeps just those).
 * `sorted` is scratch space of the same length.
 */
export function selectTopN(
  values: Float64Array,
  n: number,
  atMost: boolean,
  keep: Uint8Array,
  sorted: Float64Array,
): number {
  const m = values.length;
  sorted.set(values);
  sorted.sort();
  const nth = sorted[m - n] as number;
  if (atMost && nth <= 0) {
    for (let k = 0; k < m; k++) keep[k] = (values[k] as number) > 0 ? 1 : 0;
    return 0;
  }
  let ties = n;
  for (let k = 0; k < m; k++) if ((values[k] as number) > nth) ties--;
  for (let k = 0; k < m; k++) {
    const x = values[k] as number;
    const take = x > nth || (x === nth && ties > 0);
    if (x === nth && take) ties--;
    keep[k] = take ? 1 : 0;
  }
  return nth;
}
