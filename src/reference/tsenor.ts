/**
 * TSENOR transposable masks (Meng, Makni, Mazumder 2025), the spec of the
 * kernels: per tile, the entropy-regularised transport relaxation solved by Dykstra's algorithm in
 * the multiplicative domain with a doubling τ schedule (f64), greedy rounding of the fractional
 * solution, then local search (src/reference/localSearch.ts).
 *
 * The WebAssembly kernel (assembly/tsenor.ts) differs on purpose, so its masks are not bit-identical
 * to these: it iterates in f32 with a polynomial e^x, four tiles at once, and floors S at 1e-30 when
 * τ doubles (S_MIN: where f64 keeps e^(−τ)-small entries that can regain mass, f32 would flush them to
 * 0 for good). Its contract is a valid mask, full under fill 'exact', whose objective is within
 * 0.05% of this one (test/backends/wasm.test.ts, and the conformance suite's certified-gap check).
 */
import { greedySelect } from './greedy.js';
import { localSearchTile, tileState } from './localSearch.js';
import type { Fill, TileBatch, TsenorOptions } from '../core/types.js';

/** Scratch buffers for one tile, reused from tile to tile. */
interface Work {
  a: Float64Array;
  s: Float64Array;
  q: Float64Array;
  order: Int32Array;
}

/**
 * Normalised scores in [0, 1]. Under fill 'exact' the tile is shifted by its minimum (every full mask
 * keeps N·M entries, so the shift does not change the best mask); under 'atMost' negative scores are
 * clamped to 0 (they are never kept). Returns false for a tile with nothing to choose between.
 */
export function normalise(tiles: Float32Array, base: number, size: number, fill: Fill, a: Float64Array): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < size; k++) {
    const x = tiles[base + k];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const floor = fill === 'exact' ? lo : 0;
  const range = hi - floor;
  if (!(range > 0)) return false;
  for (let k = 0; k < size; k++) a[k] = Math.max(0, (tiles[base + k]) - floor) / range;
  return true;
}

/** Scales each row (`rows`) or each column to sum n; a zero line is left alone. */
function scaleLines(s: Float64Array, m: number, n: number, rows: boolean): void {
  const stride = rows ? 1 : m;
  const step = rows ? m : 1;
  for (let line = 0; line < m; line++) {
    const first = line * step;
    let sum = 0;
    for (let k = 0; k < m; k++) sum += s[first + k * stride];
    if (!(sum > 0)) continue;
    const f = n / sum;
    for (let k = 0; k < m; k++) s[first + k * stride] *= f;
  }
}

/**
 * Q beyond this only marks an entry that is firmly at the box bound; the cap keeps S⊙Q within f32
 * range (S ≤ N) for every τ, so f32 ports iterate exactly like this reference.
 */
const Q_MAX = 2 ** 64;

/** The box step with Dykstra's correction: P = S⊙Q, S = min(P, 1), Q = P⊘S (capped at Q_MAX). */
function boxStep(s: Float64Array, q: Float64Array, size: number): void {
  for (let k = 0; k < size; k++) {
    const p = (s[k]) * (q[k]);
    if (p > 1) {
      s[k] = 1;
      q[k] = Math.min(p, Q_MAX);
    } else {
      s[k] = p;
      q[k] = 1;
    }
  }
}

/**
 * The τ of each stage: geometric from τ/2^(stages−1) up to τ. Each stage warm-starts from the last
 * by raising S and Q to the power τ_k/τ_(k−1) (all dual potentials scaled alike, ε-scaling).
 */
export function stageTaus(tau: number, stages: number): number[] {
  const taus: number[] = [];
  for (let k = stages - 1; k >= 0; k--) taus.push(tau / 2 ** k);
  return taus;
}

/**
 * Entropy-regularised transport by Dykstra's algorithm in the multiplicative domain, which f32 ports
 * can follow step for step: a ∈ [0, 1] and the kernel is shifted by the row maximum, so S starts in
 * (0, 1]; a row or column scaling leaves S ≤ N, the box step S ≤ 1, and Q ∈ [1, 2^64], so S⊙Q never
 * overflows. Squaring at a stage change may flush negligible entries to 0, never a whole line: a line
 * sums to about N, so its largest entry is about N/M or more. Lines that do sum to 0 are left alone.
 */
function dykstra(work: Work, m: number, n: number, options: TsenorOptions): void {
  const { a, s, q } = work;
  const size = m * m;
  const taus = stageTaus(options.tau, options.stages);
  const first = taus[0];
  for (let i = 0; i < m; i++) {
    let rowMax = 0;
    for (let j = 0; j < m; j++) rowMax = Math.max(rowMax, a[i * m + j]);
    for (let j = 0; j < m; j++) s[i * m + j] = Math.exp(first * ((a[i * m + j]) - rowMax));
  }
  q.fill(1, 0, size);
  let done = 0;
  for (let stage = 0; stage < taus.length; stage++) {
    if (stage > 0) {
      const r = (taus[stage]) / (taus[stage - 1]);
      for (let k = 0; k < size; k++) {
        s[k] = (s[k]) ** r;
        q[k] = Math.min((q[k]) ** r, Q_MAX);
      }
    }
    const until = Math.round((options.iterations * (stage + 1)) / taus.length);
    for (; done < until; done++) {
      scaleLines(s, m, n, true);
      scaleLines(s, m, n, false);
      boxStep(s, q, size);
    }
  }
}

/**
 * TSENOR transposable masks (Meng, Makni, Mazumder 2025) for tiles [start, end): per tile the
 * entropy-regularised relaxation solved by Dykstra (with a τ schedule), greedy rounding of the
 * fractional solution, then local search. Always valid; full under fill 'exact'; under 'atMost'
 * entries with score ≤ 0 are never kept.
 */
export function tsenorTiles(
  batch: TileBatch,
  n: number,
  fill: Fill,
  options: TsenorOptions,
  start: number,
  end: number,
  out: Uint8Array,
): void {
  const { m, tiles } = batch;
  const size = m * m;
  const work: Work = {
    a: new Float64Array(size),
    s: new Float64Array(size),
    q: new Float64Array(size),
    order: new Int32Array(size),
  };
  const state = tileState(tiles, out, m, n, fill);
  for (let t = start; t < end; t++) {
    state.base = t * size;
    if (normalise(tiles, state.base, size, fill, work.a)) {
      dykstra(work, m, n, options);
    } else {
      work.s.fill(0);
    }
    greedySelect(state, work.s, 0, work.order);
    localSearchTile(state, options.localSearchSteps);
  }
}
