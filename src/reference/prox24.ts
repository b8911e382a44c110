/**
 * The 2:4 proximal operator (Kübler et al. 2025), per group of 4 consecutive values:
 *
 *   prox_λ(z) = argmin_w ½‖w − z‖² + λ·r(w),   r(w) = Σ_{i<j<k} |w_i w_j w_k|.
 *
 * How it is solved (the spec for the WASM port):
 *
 * 1. Reduce. The minimiser keeps the signs of z (flipping a sign towards z lowers the quadratic and
 *    leaves r unchanged) and the order of |z| (swapping two values into the order of |z| lowers the
 *    quadratic by 2(a_i − a_j)(w_i − w_j) > 0). So solve for sorted magnitudes a1 ≥ a2 ≥ a3 ≥ a4 ≥ 0
 *    with w ≥ 0 sorted alike (ties: the lower index ranks first), then restore order and signs.
 *    Scale: with c = a1, b = a/c, μ = λ·c the problem becomes c²·(the same with b and μ), so we
 *    solve with b ∈ [0, 1] and μ and multiply back by c: nothing overflows for any finite input.
 *    Entries of b may still span 40 orders of magnitude, so nothing is judged on b1's scale:
 *    candidates are compared by the change of the objective (`objectiveChange`), convergence is
 *    relative to each entry (SETTLED, STATIONARY), and w1, w2 of three nonzeros are computed
 *    without cancellation (`pairLarger`, `pairSmaller`).
 * 2. Candidates by support (the optimum lies in the relative interior of one face {top k nonzero}):
 *    - k ≤ 2: r = 0, so w = (b1, b2, 0, 0).
 *    - k = 3: exact 1-D reduction, see `bestThreeNonzero`.
 *    - k = 4: first a cheap proof that none exists (`mayHaveFourNonzero`); otherwise coordinate
 *      descent w_i = max(b_i − μ·c_i, 0), c_i = Σ of pairwise products of the other three (each step
 *      is the exact minimiser in w_i, so the objective never increases), from z and from z/2, each
 *      followed by Newton polish; see `fourNonzero`. The search stops at the first local minimum with
 *      four nonzeros (by the argument below it is the best one). That one of the two starts reaches
 *      it whenever it exists is not proven; it is checked against brute force in the tests and on
 *      tens of thousands of random groups (none missed).
 *    Every candidate is a feasible point, so keeping the one with the smallest objective is safe.
 * 3. Fast path: a local minimum with 3 or 4 nonzeros needs a PSD Hessian I + μ·N(w) (N_ij = sum of
 *    the two other active entries); its 2×2 minors give μ(w_j + w_k) ≤ 1 and with the stationarity
 *    condition b1 = w1 + μ·(…) ≤ 4/μ. So for μ > 4 the top-two candidate is the minimiser.
 * 4. Convex case: for 2μ(b1 + b2 + b3) < 1 the Hessian is positive definite on the whole box [0, b]
 *    (Gershgorin, `convexOnBox`), and the minimiser, which lies in that box (moving w_i above b_i
 *    raises both terms), is the box's only KKT point. The support is then decided by KKT tests,
 *    sparsest first, and the first candidate that passes is the answer (`solveConvex`). Most groups of
 *    a prox path (small λ early on, small |z| later) fall here.
 *
 * Why a local minimum is enough inside a face: the Hessian I + μN(w) is affine in w, so the set D
 * where it is PSD is convex (a spectrahedron) and the objective is convex on it. Every local minimum
 * lies in D, hence all local minima inside one face have the same value.
 */

/** Beyond this normalised λ·max|z| only the top two can survive (see the header). */
const TOP_TWO_ONLY = 4;
/** The same bound for three nonzeros: b1 = w1 + μ·w2w3 ≤ 2/μ. */
const THREE_NONZERO_LIMIT = 2;
/**
 * Below this normalised μ the answer in f32 is z itself: the minimiser w* has ½‖w* − b‖² ≤ F(b) ≤ 4μ,
 * so |w*_i − z_i| ≤ √(8μ)·max|z| < 1e-61, far below half an f32 ulp of any nonzero z_i (and w*_i = 0
 * where z_i = 0). It also keeps every product with μ in the normal f64 range.
 */
const NEGLIGIBLE = 1e-200;
const ROOT_STEPS = 200;
const SHORT_DESCENT = 6;
const LONG_DESCENT = 400;
const NEWTON_STEPS = 8;
/**
 * Convergence is judged per coordinate, relative to its own size: descent stops when no entry moves
 * by more than SETTLED (about an ulp) of itself, Newton when every |g_i| ≤ STATIONARY·b_i (a few ulps
 * of the terms g_i sums). With absolute tolerances an entry 1e-31 of the largest counted as
 * converged after one sweep and was off in the 2nd digit (issue 10 #13).
 */
const SETTLED = 2.5e-16;
const STATIONARY = 1e-15;

/**
 * F(to) − F(from) for F(w) = ½‖w − b‖² + μ·e3(w) on one sorted group, summed so that nothing cancels
 * but the change itself: per coordinate ½[(t_i − b_i)² − (f_i − b_i)²] = ½(t_i − f_i)·[(t_i − b_i) +
 * (f_i − b_i)], and since e3 is affine in each coordinate, moving coordinate i (the earlier ones
 * already moved, in `mixed`) changes it by (t_i − f_i)·(Σ of pairwise products of the other three).
 * Comparing values of F instead loses any difference below 1e-16 of F: 1e-38 next to 1e-22 in a
 * group spanning 1e-17…1e-35 (issue 10 #13).
 */
function objectiveChange(from: Float64Array, to: Float64Array, b: Float64Array, mu: number, mixed: Float64Array): number {
  mixed.set(from);
  let quadratic = 0;
  let cubic = 0;
  for (let i = 0; i < 4; i++) {
    const t = to[i];
    const f = from[i];
    const bi = b[i];
    quadratic += (t - f) * (t - bi + (f - bi));
    cubic += (t - f) * othersPairSum(mixed, i);
    mixed[i] = t;
  }
  return 0.5 * quadratic + mu * cubic;
}

/** num/den with 0/0 = 0 (equal top magnitudes make the (1, −1) component vanish, even at s = 1). */
function ratio(num: number, den: number): number {
  return num === 0 ? 0 : num / den;
}

/**
 * The minimiser (w1, w2) of ½‖(w1, w2) − (b1, b2)‖² + s·w1·w2 for 0 ≤ s < b2/b1 ≤ 1, written without
 * cancellation: with d = (b1 − b2)/(1 − s) (0 when b1 = b2), w1 = (b1 + s·d)/(1 + s) and
 * w2 = (b2 − s·d)/(1 + s). The eigenvector form ½[(b1 + b2)/(1 + s) ∓ d] gets w2 as the difference
 * of two numbers near b1, which loses w2 when b2 ≪ b1 (b2/b1 = 4e-11 put it off in the 7th digit,
 * beyond |z|: issue 10 #13); here each term is of w2's own size or it is w2 going to 0.
 */
function pairLarger(b1: number, b2: number, s: number): number {
  return (b1 + s * ratio(b1 - b2, 1 - s)) / (1 + s);
}

function pairSmaller(b1: number, b2: number, s: number): number {
  return (b2 - s * ratio(b1 - b2, 1 - s)) / (1 + s);
}

/**
 * The root of an increasing f in [lo, hi] (f(lo) < 0 < f(hi)) by Newton steps safeguarded with
 * bisection: a Newton step is taken only when it lands inside the current bracket, so the bracket
 * shrinks every step and the iteration converges like bisection at worst, quadratically at best.
 */
function rootIncreasing(f: (x: number) => number, df: (x: number) => number, lo: number, hi: number): number {
  let x = 0.5 * (lo + hi);
  for (let i = 0; i < ROOT_STEPS; i++) {
    const fx = f(x);
    if (fx === 0) return x;
    if (fx < 0) lo = x;
    else hi = x;
    const step = fx / df(x);
    const newton = x - step;
    // A Newton step below the tolerance is the root, even when it lands on an end of the bracket
    // (rounding puts x − step back on x = hi): bisecting there took ~30 more steps per search.
    if (Math.abs(step) <= 1e-15 * Math.abs(x)) return Math.min(Math.max(newton, lo), hi);
    const next = newton > lo && newton < hi ? newton : 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * Math.abs(x) || hi - lo <= 1e-16 * hi) return next;
    x = next;
  }
  return x;
}

/**
 * The best point with exactly three nonzeros (w4 = 0), written into `w`; false when no local minimum
 * with three nonzeros exists (then the top-two candidate is at least as good).
 *
 * Fix t = w3 and put s = μt. The remaining problem in (w1, w2) is ½‖(w1, w2) − (b1, b2)‖² + s·w1w2:
 * for s < S = b2/b1 (≤ 1) it is strictly convex with minimiser
 *   w1 = (b1 − s·b2)/(1 − s²),  w2 = (b2 − s·b1)/(1 − s²)  (both > 0),
 * and for s ≥ S its minimum ½b2² is on w2 = 0 (never better than top two). With
 *   m(s) = ½(b1² + b2²) − ¼[(b1 + b2)²/(1 + s) + (b1 − b2)²/(1 − s)]
 * the problem is the 1-D minimisation of ψ(t) = ½(t − b3)² + m(μt) over s ∈ (0, S), and local minima
 * of ψ are exactly the local minima of the 3-nonzero face. Since m''' = (3/2)[(b1+b2)²/(1+s)⁴ −
 * (b1−b2)²/(1−s)⁴] is decreasing in s, ψ'' = 1 + μ²m'' increases up to s_peak = (1 − ρ)/(1 + ρ),
 * ρ = √((b1 − b2)/(b1 + b2)), and decreases after it. So {ψ'' ≥ 0} is one interval [s_lo, s_hi]
 * (two root searches) on which ψ is convex: ψ has at most one local minimum, the root of the
 * increasing ψ' there (a third root search, bracketed by t ≤ b3). Each root search is Newton's method
 * safeguarded by bisection (`rootIncreasing`).
 */
function bestThreeNonzero(b: Float64Array, mu: number, w: Float64Array): boolean {
  const b1 = b[0];
  const b2 = b[1];
  const b3 = b[2];
  if (b2 === 0 || b3 === 0) return false;
  const sumSq = (b1 + b2) * (b1 + b2);
  const diffSq = (b1 - b2) * (b1 - b2);
  const sMax = b2 / b1;
  // ψ'(t) = t − b3 + μ·m'(μt) with m'(s) = w1·w2 (the envelope theorem; as the difference
  // ¼[(b1 + b2)²/(1 + s)² − (b1 − b2)²/(1 − s)²] it cancels when b2 ≪ b1), and ψ'' = 1 + μ²·m''(s)
  // at s = μt, a sum of like-signed terms, with p = 1 + s and q = 1 − s (plain products, no pow).
  const slope = (t: number) => {
    const s = mu * t;
    return t - b3 + mu * pairLarger(b1, b2, s) * pairSmaller(b1, b2, s);
  };
  const curvature = (s: number) => {
    const p = 1 + s;
    const q = 1 - s;
    return 1 - mu * mu * (sumSq / (2 * p * p * p) + ratio(diffSq, 2 * q * q * q));
  };
  const slopeDerivative = (t: number) => curvature(mu * t);
  const curvatureDerivative = (s: number) => {
    const p2 = (1 + s) * (1 + s);
    const q2 = (1 - s) * (1 - s);
    return 1.5 * mu * mu * (sumSq / (p2 * p2) - ratio(diffSq, q2 * q2));
  };
  const rho = Math.sqrt((b1 - b2) / (b1 + b2));
  const sPeak = Math.min(sMax, (1 - rho) / (1 + rho));
  if (!(curvature(sPeak) > 0)) return false;
  const sLo = curvature(0) >= 0 ? 0 : rootIncreasing(curvature, curvatureDerivative, 0, sPeak);
  const sHi =
    curvature(sMax) >= 0
      ? sMax
      : rootIncreasing((s) => -curvature(s), (s) => -curvatureDerivative(s), sPeak, sMax);
  // m'(s) = w1·w2 ≥ 0, so a root has t = b3 − μ·m'(μt) ≤ b3, and ψ'(b3) = μ·m'(μ·b3) ≥ 0 exactly
  // (t − b3 vanishes without rounding): the bracket [s_lo/μ, min(s_hi/μ, b3)] is sound for tiny μ.
  const tLo = sLo / mu;
  const tTop = Math.min(sHi / mu, b3);
  if (!(tTop > tLo && slope(tLo) < 0)) return false;
  const slopeTop = tTop === b3 ? Math.max(slope(tTop), 0) : slope(tTop);
  if (!(slopeTop >= 0)) return false;
  const t = slopeTop === 0 ? tTop : rootIncreasing(slope, slopeDerivative, tLo, tTop);
  const s = mu * t;
  w[0] = pairLarger(b1, b2, s);
  w[1] = pairSmaller(b1, b2, s);
  w[2] = t;
  w[3] = 0;
  return w[1] > 0 && w[2] > 0;
}

/** Σ of pairwise products of the three entries other than i. */
function othersPairSum(w: Float64Array, i: number): number {
  let sum = 0;
  for (let j = 0; j < 4; j++) {
    if (j === i) continue;
    for (let k = j + 1; k < 4; k++) if (k !== i) sum += (w[j]) * (w[k]);
  }
  return sum;
}

function hasSettled(next: number, previous: number): boolean {
  return Math.abs(next - previous) <= SETTLED * next;
}

/** `sweeps` rounds of coordinate descent on `w` (in place); each step minimises exactly over one w_i. */
function coordinateDescent(b: Float64Array, mu: number, w: Float64Array, sweeps: number): void {
  const [b0, b1, b2, b3] = b as unknown as [number, number, number, number];
  let [x0, x1, x2, x3] = w as unknown as [number, number, number, number];
  for (let sweep = 0; sweep < sweeps; sweep++) {
    const y0 = Math.max(b0 - mu * (x1 * x2 + x1 * x3 + x2 * x3), 0);
    const y1 = Math.max(b1 - mu * (y0 * x2 + y0 * x3 + x2 * x3), 0);
    const y2 = Math.max(b2 - mu * (y0 * y1 + y0 * x3 + y1 * x3), 0);
    const y3 = Math.max(b3 - mu * (y0 * y1 + y0 * y2 + y1 * y2), 0);
    const settled = hasSettled(y0, x0) && hasSettled(y1, x1) && hasSettled(y2, x2) && hasSettled(y3, x3);
    x0 = y0;
    x1 = y1;
    x2 = y2;
    x3 = y3;
    if (settled) break;
  }
  w[0] = x0;
  w[1] = x1;
  w[2] = x2;
  w[3] = x3;
}

/**
 * Newton steps on the 4-nonzero stationarity system g_i = w_i − b_i + μ·c_i = 0 with Hessian
 * I + μN; a step is taken only when the Hessian is positive definite, the point stays positive and
 * the objective does not increase, so polishing never makes a candidate worse. True when it ends at
 * a stationary point with a positive definite Hessian: a local minimum with four nonzeros, hence
 * (by the convexity argument in the header) the best one. With `convex` (`convexOnBox`) the Hessian
 * is known to be positive definite, so a stationary point is accepted without factoring it.
 */
function newtonPolish(b: Float64Array, mu: number, s: Scratch, convex: boolean): boolean {
  const { work: w, hessian: h, gradient: g, trial } = s;
  for (let step = 0; step < NEWTON_STEPS; step++) {
    if (!(w[3]! > 0)) return false;
    let total = 0;
    let stationary = true;
    for (let i = 0; i < 4; i++) total += w[i];
    for (let i = 0; i < 4; i++) {
      g[i] = (w[i]) - (b[i]) + mu * othersPairSum(w, i);
      stationary &&= Math.abs(g[i]) <= STATIONARY * (b[i]);
      for (let j = 0; j < 4; j++) {
        h[i * 4 + j] = i === j ? 1 : mu * (total - (w[i]) - (w[j]));
      }
    }
    if (stationary && convex) return true;
    if (!solveSpd(h, g)) return false;
    if (stationary) return true;
    for (let i = 0; i < 4; i++) trial[i] = (w[i]) - (g[i]);
    if (!(trial[3]! > 0) || objectiveChange(w, trial, b, mu, s.mixed) > 0) return false;
    w.set(trial);
  }
  return false;
}

/** Solves h·x = g in place (x into g) by Cholesky; false when h is not positive definite. */
function solveSpd(h: Float64Array, g: Float64Array): boolean {
  for (let j = 0; j < 4; j++) {
    let d = h[j * 4 + j];
    for (let k = 0; k < j; k++) d -= (h[j * 4 + k]) ** 2;
    if (!(d > 1e-14)) return false;
    const l = Math.sqrt(d);
    h[j * 4 + j] = l;
    for (let i = j + 1; i < 4; i++) {
      let s = h[i * 4 + j];
      for (let k = 0; k < j; k++) s -= (h[i * 4 + k]) * (h[j * 4 + k]);
      h[i * 4 + j] = s / l;
    }
  }
  for (let i = 0; i < 4; i++) {
    let s = g[i];
    for (let k = 0; k < i; k++) s -= (h[i * 4 + k]) * (g[k]);
    g[i] = s / (h[i * 4 + i]);
  }
  for (let i = 3; i >= 0; i--) {
    let s = g[i];
    for (let k = i + 1; k < 4; k++) s -= (h[k * 4 + i]) * (g[k]);
    g[i] = s / (h[i * 4 + i]);
  }
  return true;
}

/** Starting points for the 4-nonzero search, as multiples of b (different basins of attraction). */
const DESCENT_STARTS = [1, 0.5] as const;

/** Scratch space for one group, allocated once per call of prox24Groups. */
interface Scratch {
  best: Float64Array;
  work: Float64Array;
  hessian: Float64Array;
  gradient: Float64Array;
  trial: Float64Array;
  /** objectiveChange's point between `from` and `to`. */
  mixed: Float64Array;
}

/**
 * Candidates with four nonzeros, passed to `consider`. From each start: a short descent and Newton;
 * if that does not reach a local minimum, the long descent and Newton again. The first local minimum
 * found ends the search (all local minima of the face share one value).
 */
function fourNonzero(b: Float64Array, mu: number, s: Scratch, consider: () => void, convex: boolean): void {
  for (const scale of DESCENT_STARTS) {
    for (let i = 0; i < 4; i++) s.work[i] = scale * (b[i]);
    coordinateDescent(b, mu, s.work, SHORT_DESCENT);
    let found = newtonPolish(b, mu, s, convex);
    if (!found) {
      coordinateDescent(b, mu, s.work, LONG_DESCENT);
      found = newtonPolish(b, mu, s, convex);
    }
    consider();
    if (found) return;
  }
}

/**
 * Necessary condition for a stationary point with four nonzeros, from the order-reversing map
 * T(w)_i = b_i − μ·c_i(w) whose fixed points they are: every fixed point x in [L, U] has
 * T(U) ≤ x ≤ T(L), so a few rounds of L ← max(T(U), 0), U ← T(L) from [0, b] keep bounds on all of
 * them; an upper bound ≤ 0 proves there is none.
 */
function mayHaveFourNonzero(b: Float64Array, mu: number, lower: Float64Array, upper: Float64Array): boolean {
  lower.fill(0);
  upper.set(b);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 4; i++) {
      const lo = Math.max((b[i]) - mu * othersPairSum(upper, i), 0);
      const hi = (b[i]) - mu * othersPairSum(lower, i);
      if (!(hi > 0)) return false;
      lower[i] = lo;
      upper[i] = hi;
    }
  }
  return true;
}

/**
 * Whether F is strictly convex on the box [0, b], by Gershgorin: N(w) has a zero diagonal and row sums
 * Σ_{j≠i} N_ij = 2(Σw − w_i) ≤ 2(b1 + b2 + b3) on the box, so every eigenvalue of I + μN(w) is at least
 * 1 − 2μ(b1 + b2 + b3) > 0.
 */
function convexOnBox(b: Float64Array, mu: number): boolean {
  return 2 * mu * (b[0] + b[1] + b[2]) < 1;
}

/**
 * The convex case (`convexOnBox`): the minimiser lies in the box and is its only KKT point, so a
 * candidate that satisfies the KKT conditions is the answer, and the support is decided from the
 * sparsest up: top two when g3 = μ·b1b2 − b3 ≥ 0 (g4 ≥ g3 then, and g1 = g2 = 0); else the
 * three-nonzero stationary point v when g4 = μ·(v1v2 + v1v3 + v2v3) − b4 ≥ 0 there; else four
 * nonzeros, where a stationary point is the answer. The three-nonzero search is skipped when
 * b4 > μ·(b1b2 + b1b3 + b2b3): the minimiser is a fixed point of T(w)_i = max(b_i − μ·c_i(w), 0),
 * which reverses order, so w ≤ b gives w4 ≥ T(b)_4 > 0 (`mayHaveFourNonzero`'s first lower bound). Candidates still go through `consider`, so a
 * search that falls short keeps the best feasible point, as in the general case.
 */
function solveConvex(b: Float64Array, mu: number, s: Scratch, consider: () => void): void {
  if (b[2] <= mu * b[0] * b[1]) return;
  if (b[3] <= mu * (b[0] * b[1] + b[0] * b[2] + b[1] * b[2]) && bestThreeNonzero(b, mu, s.work)) {
    consider();
    if (b[3] <= mu * othersPairSum(s.work, 3)) return;
  }
  fourNonzero(b, mu, s, consider, true);
}

/**
 * Solves one sorted, normalised group (b1 = 1 ≥ b2 ≥ b3 ≥ b4 ≥ 0) into `s.best`.
 * Candidates are compared by objective; on equal objective the sparser one (found first) stays.
 */
function solveSorted(b: Float64Array, mu: number, s: Scratch): void {
  const best = s.best;
  best.set(b);
  best[2] = 0;
  best[3] = 0;
  if (mu > TOP_TWO_ONLY) return;
  const consider = () => {
    if (objectiveChange(best, s.work, b, mu, s.mixed) < 0) best.set(s.work);
  };
  if (convexOnBox(b, mu)) {
    solveConvex(b, mu, s, consider);
    return;
  }
  if (mu <= THREE_NONZERO_LIMIT && bestThreeNonzero(b, mu, s.work)) consider();
  if (mayHaveFourNonzero(b, mu, s.gradient, s.trial)) fourNonzero(b, mu, s, consider, false);
}

/** Ranks the magnitudes of one group: order[0] is the largest (ties: lower index first). */
function sortGroup(a: Float64Array, order: Int32Array): void {
  for (let i = 0; i < 4; i++) order[i] = i;
  for (let i = 1; i < 4; i++) {
    const idx = order[i];
    let j = i - 1;
    while (j >= 0 && (a[order[j]]) < (a[idx])) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = idx;
  }
}

/**
 * The exact 2:4 proximal operator on groups [groupStart, groupEnd) of z (group g is z[4g..4g+3]),
 * written into `out`. lambda ≥ 0 and z finite are checked by the callers.
 */
export function prox24Groups(
  z: Float32Array,
  lambda: number,
  groupStart: number,
  groupEnd: number,
  out: Float32Array,
): void {
  const a = new Float64Array(4);
  const order = new Int32Array(4);
  const b = new Float64Array(4);
  const s: Scratch = {
    best: new Float64Array(4),
    work: new Float64Array(4),
    hessian: new Float64Array(16),
    gradient: new Float64Array(4),
    trial: new Float64Array(4),
    mixed: new Float64Array(4),
  };
  for (let g = groupStart; g < groupEnd; g++) {
    const base = 4 * g;
    for (let i = 0; i < 4; i++) a[i] = Math.abs(z[base + i]);
    sortGroup(a, order);
    const scale = a[order[0]];
    if (scale === 0 || lambda * scale <= NEGLIGIBLE) {
      for (let i = 0; i < 4; i++) out[base + i] = z[base + i];
      continue;
    }
    for (let k = 0; k < 4; k++) b[k] = (a[order[k]]) / scale;
    solveSorted(b, lambda * scale, s);
    for (let k = 0; k < 4; k++) {
      const i = order[k];
      const magnitude = (s.best[k]) * scale;
      out[base + i] = (z[base + i]) < 0 ? -magnitude : magnitude;
    }
  }
}

/**
 * r(w) summed over every group of 4 consecutive entries: Σ_{i<j<k} |w_i w_j w_k| (f64). It is zero
 * exactly when every group has at most two nonzeros.
 */
export function reg24(w: Float32Array): number {
  let total = 0;
  for (let base = 0; base + 3 < w.length; base += 4) {
    const x = Math.abs(w[base]);
    const y = Math.abs(w[base + 1]);
    const u = Math.abs(w[base + 2]);
    const v = Math.abs(w[base + 3]);
    total += x * y * (u + v) + u * v * (x + y);
  }
  return total;
}
