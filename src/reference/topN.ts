/**
 * Marks the N largest of `values` in `keep` (ties: lower index first) and returns the threshold that
 * separates kept from dropped values: the N-th largest. With a `floor`, a line whose N-th largest is
 * below the floor keeps only its values above the floor, and the threshold is the floor (under fill
 * 'atMost' a line may stay short, but then its dual sits at its lower bound). `sorted` is scratch space.
 */
export function selectTopN(
  values: Float64Array,
  n: number,
  floor: number,
  keep: Uint8Array,
  sorted: Float64Array,
): number {
  const m = values.length;
  const nth = nthLargest(values, n, sorted);
  if (nth < floor) {
    for (let k = 0; k < m; k++) keep[k] = (values[k]) > floor ? 1 : 0;
    return floor;
  }
  let ties = n;
  for (let k = 0; k < m; k++) if ((values[k]) > nth) ties--;
  for (let k = 0; k < m; k++) {
    const x = values[k];
    const take = x > nth || (x === nth && ties > 0);
    if (x === nth && take) ties--;
    keep[k] = take ? 1 : 0;
  }
  return nth;
}

/** The N-th largest of `values`; `sorted` is scratch space of the same length. */
export function nthLargest(values: Float64Array, n: number, sorted: Float64Array): number {
  sorted.set(values);
  sorted.sort();
  return sorted[values.length - n];
}
