// Exact transposable N:M tiles: the warm-started primal-dual method (docs/design.md, "Exact solver").
//
// Row duals u, column duals v and the mask x keep complementary slackness
//   x_ij = 1 ⇒ a_ij − u_i − v_j ≥ 0,   x_ij = 0 ⇒ a_ij − u_i − v_j ≤ 0.
// Warm start: every column keeps its top N (ties: lower row), v_j = its N-th largest, u = 0. A few
// alternating fix passes move rows and columns back to N; then shortest augmenting paths (Dijkstra
// on reduced costs, Jonker–Volgenant dual update) balance the side left over.
//
// Fill `atMost` is the max-weight b-matching: duals stay ≥ 0 and a row or column with a positive
// dual is full. It is the same search with one free node Z (dual 0) joined to every row and column
// by zero-score arcs: under-full rows start at distance 0 and every column can be reached from Z at
// distance v_j, which lets a column simply give up a unit.
//
// The same method as src/reference/exact.ts (the spec), in a different variant, chosen for speed:
//  - atMost: a free node Z of dual 0 (above), where the reference uses a dummy node whose potential
//    p floats (floors u ≥ p, v ≥ −p) and is shifted out at the end;
//  - the fix passes: a number per M (fixPasses), starting with rows and stopping as soon as a pass
//    moves nothing, where the reference always runs FIX_ROUNDS = 2 rounds of rows then columns;
//  - augmenting paths run from whichever side the passes left unbalanced, rows or columns, where the
//    reference always balances rows;
//  - the atMost warm start raises each column's threshold to 0 (the reference chooses p from the
//    smallest column threshold), and the mask drops scores ≤ 0 when written, as the reference does.
// Both end at an optimal mask with optimal duals, so the objectives are equal and each certificate
// is exact; when the optimum is unique (generic real scores: no two sets of entries with equal
// sums) the masks are identical, while on tied scores either may pick another optimal mask, and the duals may differ (LP duals are not unique).
// test/backends/exactVariants.test.ts checks both statements.
//
// The mask lives in arc-cost matrices (+inf where an arc is absent), so every scan is a branch-free
// f64x2 min/blend loop. Tile rows are padded to a multiple of 4 with +inf.

import { buildNet, netBytes } from './selectnet';
import { hsum32, pad4, pow2AtLeast } from './simd';
import { layoutAt, layoutEnd, take } from './scratch';
import { Settings } from './abi';

const INF: f64 = Infinity;

// Per-call layout (addresses in the scratch block) and shape.
let M = 0;
let MP = 0;
let N = 0;
let AT_MOST = false;
let P = 0;
let netCount = 0;
let netPairs: usize = 0;
let selr: usize = 0; // m×mp f64: a_ij where x_ij = 1, else +inf
let addc: usize = 0; // m×mp f64: −a_ij where x_ij = 0, else +inf
let remc: usize = 0; // selr transposed
let addt: usize = 0; // addc transposed
let uu: usize = 0; // mp f64 row duals
let vv: usize = 0; // mp f64 column duals
let lim: usize = 0; // 2mp f64: tentative distance, +inf unreached, NaN settled
let pred: usize = 0; // 2mp f64: predecessor node id, −1 for a source
let setd: usize = 0; // 2mp f64: distances of settled nodes, in settling order
let setn: usize = 0; // 2mp i32: the settled nodes
let rowCount: usize = 0; // mp i32
let colCount: usize = 0; // mp i32
let af: usize = 0; // m×mp f32 tile, padded with −inf
let sortbuf: usize = 0; // P×mp f32 selection network wires
let needv: usize = 0; // mp i32
let tile: usize = 0; // the current tile (f32, m×m)
let lastVal: f64 = 0;

/** Takes the kernel's work arrays for the settings' M from the current layout (scratch.ts). */
export function exactLayout(s: Settings): void {
  const m = s.m;
  M = m;
  MP = pad4(m);
  N = s.n;
  AT_MOST = s.atMost != 0;
  P = pow2AtLeast(m);
  const sq = <f64>m * MP;
  selr = take(sq, 8);
  addc = take(sq, 8);
  remc = take(sq, 8);
  addt = take(sq, 8);
  uu = take(MP, 8);
  vv = take(MP, 8);
  lim = take(2 * MP, 8);
  pred = take(2 * MP, 8);
  setd = take(2 * MP, 8);
  setn = take(2 * MP, 4);
  rowCount = take(MP, 4);
  colCount = take(MP, 4);
  af = take(sq, 4);
  sortbuf = take(<f64>P * MP, 4);
  needv = take(MP, 4);
  netPairs = take(netBytes(P), 1);
}

/** Bytes of scratch one exactTiles call needs. */
export function exactTilesScratchBytes(s: Settings): f64 {
  layoutAt(0);
  exactLayout(s);
  return layoutEnd();
}

@inline function f64At(base: usize, k: i32): f64 {
  return load<f64>(base + (<usize>k << 3));
}
@inline function setF64(base: usize, k: i32, x: f64): void {
  store<f64>(base + (<usize>k << 3), x);
}
@inline function i32At(base: usize, k: i32): i32 {
  return load<i32>(base + (<usize>k << 2));
}
@inline function setI32(base: usize, k: i32, x: i32): void {
  store<i32>(base + (<usize>k << 2), x);
}

/** Sets or clears x_ij in all four arc matrices. */
function setCell(i: i32, j: i32, on: bool): void {
  const a = <f64>load<f32>(tile + (<usize>(i * M + j) << 2));
  setF64(selr, i * MP + j, on ? a : INF);
  setF64(addc, i * MP + j, on ? INF : -a);
  setF64(remc, j * MP + i, on ? a : INF);
  setF64(addt, j * MP + i, on ? INF : -a);
}

/**
 * argmin over k < MP of p[k] + s·q[k] in one pass: two independent 2-lane chains carry the best
 * value and its index (blends). The value is left in lastVal.
 */
function argmin2(p: usize, q: usize, s: f64): i32 {
  return argminScan(p, q, s, false);
}

/**
 * argmin2 that also finds what argmin2 would return once entry k is gone (+inf): the index is
 * returned, the next value left in lastVal. It saves the fix passes' extra scan for the dual after a
 * line's last removal.
 */
function argmin2Next(p: usize, q: usize, s: f64): i32 {
  return argminScan(p, q, s, true);
}

/**
 * The scan of argmin2 and (`next`) argmin2Next, one loop for both (`next` is a constant at each
 * inlined call, so each gets only its own work). With `next` every chain lane also carries the
 * earliest minimum of its other entries; the winner's lane then offers that instead, and the same
 * merge gives the next value.
 */
@inline function argminScan(p: usize, q: usize, s: f64, next: bool): i32 {
  const sv = f64x2.splat(s);
  const four = f64x2.splat(4);
  let b0 = f64x2.add(v128.load(p), f64x2.mul(sv, v128.load(q)));
  let b1 = f64x2.add(v128.load(p, 16), f64x2.mul(sv, v128.load(q, 16)));
  let n0 = f64x2.splat(INF);
  let n1 = n0;
  let i0 = f64x2(0, 1);
  let i1 = f64x2(2, 3);
  let x0 = i0;
  let x1 = i1;
  for (let k = 4; k < MP; k += 4) {
    const off = <usize>k << 3;
    x0 = f64x2.add(x0, four);
    x1 = f64x2.add(x1, four);
    const k0 = f64x2.add(v128.load(p + off), f64x2.mul(sv, v128.load(q + off)));
    const k1 = f64x2.add(v128.load(p + off, 16), f64x2.mul(sv, v128.load(q + off, 16)));
    const m0 = f64x2.lt(k0, b0);
    const m1 = f64x2.lt(k1, b1);
    if (next) {
      n0 = v128.bitselect(b0, v128.bitselect(k0, n0, f64x2.lt(k0, n0)), m0);
      n1 = v128.bitselect(b1, v128.bitselect(k1, n1, f64x2.lt(k1, n1)), m1);
    }
    b0 = v128.bitselect(k0, b0, m0);
    i0 = v128.bitselect(x0, i0, m0);
    b1 = v128.bitselect(k1, b1, m1);
    i1 = v128.bitselect(x1, i1, m1);
  }
  const k = mergeChains(b0, b1, i0, i1);
  if (next) {
    const won0 = f64x2.eq(f64x2.splat(<f64>k), i0);
    const won1 = f64x2.eq(f64x2.splat(<f64>k), i1);
    const c0 = v128.bitselect(n0, b0, won0);
    const c1 = v128.bitselect(n1, b1, won1);
    mergeChains(c0, c1, i0, i1);
  }
  return k;
}

/**
 * The end of an argmin scan: the two chains' lanes merged (the second chain's lane wins only when
 * smaller, then lane 1 only when smaller than lane 0). Returns the index; the value goes to lastVal.
 */
@inline function mergeChains(b0: v128, b1: v128, i0: v128, i1: v128): i32 {
  const mm = f64x2.lt(b1, b0);
  const b = v128.bitselect(b1, b0, mm);
  const ix = v128.bitselect(i1, i0, mm);
  let best = f64x2.extract_lane(b, 0);
  let k = <i32>f64x2.extract_lane(ix, 0);
  if (f64x2.extract_lane(b, 1) < best) {
    best = f64x2.extract_lane(b, 1);
    k = <i32>f64x2.extract_lane(ix, 1);
  }
  lastVal = best;
  return k;
}

/**
 * Warm start: every column keeps its top N (ties: lower row); v_j is the N-th largest (under
 * atMost: at least 0, keeping only positive scores, zeros while there is room); u = 0.
 */
function warmStart(): void {
  const mb = MP >> 2;
  const rowBytes = <usize>MP << 2;
  const negInf = f32x4.splat(-Infinity);
  // + 0 turns −0 into +0 (and changes nothing else), so the network below may use pmax/pmin.
  if (M == MP) {
    const zero = f32x4.splat(0);
    for (let k = 0; k < M * M; k += 4) v128.store(af + (<usize>k << 2), f32x4.add(v128.load(tile + (<usize>k << 2)), zero));
  } else {
    for (let i = 0; i < M; i++) {
      const dst = af + <usize>i * rowBytes;
      const src = tile + (<usize>(i * M) << 2);
      for (let j = 0; j < M; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)) + 0);
      for (let j = M; j < MP; j++) store<f32>(dst + (<usize>j << 2), -Infinity);
    }
  }
  memory.copy(sortbuf, af, <usize>M * rowBytes);
  for (let w = M; w < P; w++) {
    for (let b = 0; b < mb; b++) v128.store(sortbuf + <usize>w * rowBytes + (<usize>b << 4), negInf);
  }
  for (let c = 0; c < netCount; c++) {
    const x = sortbuf + <usize>load<i32>(netPairs + (<usize>c << 3)) * rowBytes;
    const y = sortbuf + <usize>load<i32>(netPairs + (<usize>c << 3), 4) * rowBytes;
    for (let b = 0; b < mb; b++) {
      const off = <usize>b << 4;
      const p = v128.load(x + off);
      const q = v128.load(y + off);
      // No NaN and no −0 here: the one-instruction pseudo-max/min are max/min.
      v128.store(x + off, f32x4.pmax(p, q));
      v128.store(y + off, f32x4.pmin(p, q));
    }
  }
  // The threshold row now sits on wire N−1; under atMost it is raised to 0.
  const thr = sortbuf + <usize>(N - 1) * rowBytes;
  const zero = f32x4.splat(0);
  for (let b = 0; b < mb; b++) {
    const off = <usize>b << 4;
    let t = v128.load(thr + off);
    if (AT_MOST) t = f32x4.max(t, zero);
    v128.store(thr + off, t);
    let need = i32x4.splat(N);
    for (let i = 0; i < M; i++) need = i32x4.add(need, f32x4.gt(v128.load(af + <usize>i * rowBytes + off), t));
    v128.store(needv + off, need);
  }
  const inf2 = f64x2.splat(INF);
  for (let i = 0; i < M; i++) {
    let racc = i32x4.splat(0);
    for (let b = 0; b < mb; b++) {
      const off = <usize>b << 4;
      const t = v128.load(thr + off);
      const valid = i32x4.lt_s(i32x4(4 * b, 4 * b + 1, 4 * b + 2, 4 * b + 3), i32x4.splat(M));
      const ai = v128.load(af + <usize>i * rowBytes + off);
      let need = v128.load(needv + off);
      const eq = v128.and(v128.and(f32x4.eq(ai, t), i32x4.gt_s(need, i32x4.splat(0))), valid);
      need = i32x4.add(need, eq);
      v128.store(needv + off, need);
      const sel = v128.and(v128.or(f32x4.gt(ai, t), eq), valid);
      racc = i32x4.sub(racc, sel);
      const m0 = i64x2.extend_low_i32x4_s(sel);
      const m1 = i64x2.extend_high_i32x4_s(sel);
      const a0 = f64x2.promote_low_f32x4(ai);
      const a1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(ai, ai, 2, 3, 0, 1));
      const at = (<usize>(i * MP + 4 * b)) << 3;
      v128.store(selr + at, v128.bitselect(a0, inf2, m0));
      v128.store(selr + at, v128.bitselect(a1, inf2, m1), 16);
      v128.store(addc + at, v128.bitselect(inf2, f64x2.neg(a0), m0));
      v128.store(addc + at, v128.bitselect(inf2, f64x2.neg(a1), m1), 16);
    }
    setI32(rowCount, i, hsum32(racc));
    setF64(uu, i, 0);
  }
  for (let j = 0; j < MP; j++) {
    const inside = j < M;
    setI32(colCount, j, inside ? N - i32At(needv, j) : N);
    setF64(vv, j, inside ? <f64>load<f32>(thr + (<usize>j << 2)) : 0);
    if (j >= M) setF64(uu, j, 0);
  }
  transposeArcs();
}

/** remc = selrᵀ and addt = addcᵀ over the tile's M×M entries: 2×2 blocks of f64x2 for even M. */
function transposeArcs(): void {
  if (M & 1) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < M; j++) {
        setF64(remc, j * MP + i, f64At(selr, i * MP + j));
        setF64(addt, j * MP + i, f64At(addc, i * MP + j));
      }
    }
    return;
  }
  const rowBytes = <usize>MP << 3;
  for (let i = 0; i < M; i += 2) {
    for (let j = 0; j < M; j += 2) {
      const from = (<usize>(i * MP + j)) << 3;
      const to = (<usize>(j * MP + i)) << 3;
      const s0 = v128.load(selr + from);
      const s1 = v128.load(selr + from + rowBytes);
      v128.store(remc + to, i64x2.shuffle(s0, s1, 0, 2));
      v128.store(remc + to + rowBytes, i64x2.shuffle(s0, s1, 1, 3));
      const c0 = v128.load(addc + from);
      const c1 = v128.load(addc + from + rowBytes);
      v128.store(addt + to, i64x2.shuffle(c0, c1, 0, 2));
      v128.store(addt + to + rowBytes, i64x2.shuffle(c0, c1, 1, 3));
    }
  }
}

/** Rows whose count is off drop their smallest / add their largest a_ij − v_j (atMost: only over-full rows). */
function fixRows(): i32 {
  let moved = 0;
  for (let i = 0; i < M; i++) {
    let d = i32At(rowCount, i) - N;
    if (d == 0 || (AT_MOST && d < 0)) continue;
    moved += d > 0 ? d : -d;
    const row = <usize>(i * MP) << 3;
    if (d > 0) {
      for (; d > 0; d--) {
        const j = d > 1 ? argmin2(selr + row, vv, -1) : argmin2Next(selr + row, vv, -1);
        setCell(i, j, false);
        setI32(colCount, j, i32At(colCount, j) - 1);
      }
      setF64(uu, i, lastVal);
    } else {
      for (; d < 0; d++) {
        const j = argmin2(addc + row, vv, 1);
        setCell(i, j, true);
        setI32(colCount, j, i32At(colCount, j) + 1);
      }
      setF64(uu, i, -lastVal);
    }
    setI32(rowCount, i, N);
  }
  return moved;
}

/**
 * Columns whose count is off drop their smallest / add their largest a_ij − u_i. Under atMost only
 * under-full columns with a positive dual move, adding entries while they gain, and v_j falls to
 * what the best entry left out would pay (≥ 0).
 */
function fixCols(): i32 {
  let moved = 0;
  for (let j = 0; j < M; j++) {
    let d = i32At(colCount, j) - N;
    const col = <usize>(j * MP) << 3;
    if (AT_MOST) {
      if (d >= 0 || f64At(vv, j) <= 0) continue;
      let v: f64 = 0;
      for (; d < 0; d++) {
        const i = argmin2(addt + col, uu, 1);
        if (lastVal >= 0) break;
        setCell(i, j, true);
        setI32(rowCount, i, i32At(rowCount, i) + 1);
        moved++;
        v = -lastVal;
      }
      if (d < 0) v = 0;
      setF64(vv, j, v);
      setI32(colCount, j, N + d);
      continue;
    }
    if (d == 0) continue;
    moved += d > 0 ? d : -d;
    if (d > 0) {
      for (; d > 0; d--) {
        const i = d > 1 ? argmin2(remc + col, uu, -1) : argmin2Next(remc + col, uu, -1);
        setCell(i, j, false);
        setI32(rowCount, i, i32At(rowCount, i) - 1);
      }
      setF64(vv, j, lastVal);
    } else {
      for (; d < 0; d++) {
        const i = argmin2(addt + col, uu, 1);
        setCell(i, j, true);
        setI32(rowCount, i, i32At(rowCount, i) + 1);
      }
      setF64(vv, j, -lastVal);
    }
    setI32(colCount, j, N);
  }
  return moved;
}

/** Settles s-node p at distance d: relaxes its add arcs into the t-nodes. */
@inline function relaxS(add: usize, us: usize, vs: usize, p: i32, d: f64): void {
  const base = f64x2.splat(d + f64At(us, p));
  const fp = f64x2.splat(<f64>p);
  const arcs = add + (<usize>(p * MP) << 3);
  const tl = lim + (<usize>MP << 3);
  const tp = pred + (<usize>MP << 3);
  for (let q = 0; q < MP; q += 2) {
    const off = <usize>q << 3;
    const nd = f64x2.add(f64x2.add(base, v128.load(vs + off)), v128.load(arcs + off));
    const l = v128.load(tl + off);
    const mk = f64x2.lt(nd, l);
    v128.store(tl + off, v128.bitselect(nd, l, mk));
    v128.store(tp + off, v128.bitselect(fp, v128.load(tp + off), mk));
  }
}

/** Settles t-node q at distance d: relaxes its remove arcs into the s-nodes. */
@inline function relaxT(rem: usize, us: usize, vs: usize, q: i32, d: f64): void {
  const base = f64x2.splat(d - f64At(vs, q));
  const fq = f64x2.splat(<f64>(MP + q));
  const arcs = rem + (<usize>(q * MP) << 3);
  for (let p = 0; p < MP; p += 2) {
    const off = <usize>p << 3;
    const nd = f64x2.sub(f64x2.add(base, v128.load(arcs + off)), v128.load(us + off));
    const l = v128.load(lim + off);
    const mk = f64x2.lt(nd, l);
    v128.store(lim + off, v128.bitselect(nd, l, mk));
    v128.store(pred + off, v128.bitselect(fq, v128.load(pred + off), mk));
  }
}

/** The smallest non-NaN value of lim. */
@inline function minLim(): f64 {
  let b0 = f64x2.splat(INF);
  let b1 = b0;
  const cnt = 2 * MP;
  for (let k = 0; k < cnt; k += 4) {
    const off = <usize>k << 3;
    b0 = f64x2.pmin(b0, v128.load(lim + off));
    b1 = f64x2.pmin(b1, v128.load(lim + off, 16));
  }
  b0 = f64x2.pmin(b0, b1);
  return min(f64x2.extract_lane(b0, 0), f64x2.extract_lane(b0, 1));
}

/** The first node whose lim equals x. */
@inline function findLim(x: f64): i32 {
  const xv = f64x2.splat(x);
  const cnt = 2 * MP;
  for (let k = 0; k < cnt; k += 2) {
    const bits = i64x2.bitmask(f64x2.eq(v128.load(lim + (<usize>k << 3)), xv));
    if (bits != 0) return k + ctz(bits);
  }
  return -1;
}

/**
 * Shortest augmenting paths until every s-node is balanced. The s-side is the rows (rowsRole) or the
 * columns; `add`/`rem` are the arc matrices seen from that side, `us`/`vs` its duals and the other
 * side's, `cnt` its counts. Exact fill: paths run from under-full to over-full s-nodes. AtMost (rows
 * only): from Z through under-full rows or any column to an over-full row.
 */
function augment(add: usize, rem: usize, us: usize, vs: usize, cnt: usize, rowsRole: bool): void {
  let excess = 0;
  for (let p = 0; p < M; p++) {
    const d = i32At(cnt, p) - N;
    excess += AT_MOST ? max(d, 0) : max(-d, 0);
  }
  const nodes = 2 * MP;
  while (excess > 0) {
    const unreached = f64x2.splat(INF);
    const none = f64x2.splat(-1);
    for (let k = 0; k < nodes; k += 2) {
      v128.store(lim + (<usize>k << 3), unreached);
      v128.store(pred + (<usize>k << 3), none);
    }
    if (AT_MOST) {
      for (let q = 0; q < M; q++) setF64(lim, MP + q, f64At(vs, q));
    }
    let ns = 0;
    for (let p = 0; p < M; p++) {
      if (i32At(cnt, p) < N) {
        setF64(lim, p, NaN);
        setI32(setn, ns, p);
        setF64(setd, ns, 0);
        ns++;
        relaxS(add, us, vs, p, 0);
      }
    }
    let target = -1;
    let dt: f64 = 0;
    for (;;) {
      dt = minLim();
      const k = findLim(dt);
      if (k < MP && i32At(cnt, k) > N) {
        target = k;
        break;
      }
      setF64(lim, k, NaN);
      setI32(setn, ns, k);
      setF64(setd, ns, dt);
      ns++;
      if (k < MP) relaxS(add, us, vs, k, dt);
      else relaxT(rem, us, vs, k - MP, dt);
    }
    // Jonker–Volgenant: only settled nodes move, by their distance minus the target's.
    for (let s = 0; s < ns; s++) {
      const k = i32At(setn, s);
      const delta = f64At(setd, s) - dt;
      if (k < MP) setF64(us, k, f64At(us, k) + delta);
      else setF64(vs, k - MP, f64At(vs, k - MP) - delta);
    }
    if (AT_MOST) {
      // Shift every dual so that Z's stays 0 (reduced costs do not change).
      for (let p = 0; p < M; p++) setF64(us, p, f64At(us, p) + dt);
      for (let q = 0; q < M; q++) setF64(vs, q, f64At(vs, q) - dt);
    }
    let p = target;
    setI32(cnt, p, i32At(cnt, p) - 1);
    for (;;) {
      const q = <i32>f64At(pred, p) - MP;
      if (rowsRole) setCell(p, q, false);
      else setCell(q, p, false);
      const from = <i32>f64At(pred, MP + q);
      if (from < 0) break; // atMost: the column gives the unit back to Z
      if (rowsRole) setCell(from, q, true);
      else setCell(q, from, true);
      p = from;
      if (f64At(pred, p) < 0) {
        setI32(cnt, p, i32At(cnt, p) + 1);
        break;
      }
    }
    excess--;
  }
}

function fixPasses(): i32 {
  if (AT_MOST) return M <= 8 ? 2 : 4;
  return M <= 4 ? 1 : M <= 8 ? 2 : M <= 16 ? 3 : 4;
}

function solveTile(): void {
  warmStart();
  let rowsOff = 1; // which side is unbalanced: 1 rows, 0 columns, −1 neither
  const passes = fixPasses();
  for (let k = 0; k < passes; k++) {
    const moved = rowsOff == 1 ? fixRows() : fixCols();
    if (moved == 0) {
      rowsOff = -1;
      break;
    }
    rowsOff = 1 - rowsOff;
  }
  if (rowsOff == 1) augment(addc, remc, uu, vv, rowCount, true);
  else if (rowsOff == 0) augment(addt, selr, vv, uu, colCount, false);
}

/**
 * Writes the tile's mask (u8, m·m) at `out`. Under atMost an entry of score ≤ 0 is never kept: the
 * search may leave such units selected (a zero ties with leaving the unit unused, and a negative
 * one only by rounding), and dropping them keeps the objective and the duals' certificate, as the
 * reference does.
 */
function writeMask(out: usize): void {
  const m = M;
  const mp = MP;
  if ((m & 3) == 0) {
    writeMaskLanes(out);
    return;
  }
  if (!AT_MOST) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) store<u8>(out + i * m + j, f64At(selr, i * mp + j) != INF ? 1 : 0);
    }
    return;
  }
  // Branch-free per entry: half the bits go either way.
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const selected = f64At(selr, i * mp + j) != INF;
      const paying = load<f32>(tile + (<usize>(i * m + j) << 2)) > 0;
      store<u8>(out + i * m + j, <u8>(<i32>selected & <i32>paying));
    }
  }
}

/** writeMask for M a multiple of 4 (MP = M): four entries per step, the same bits. */
function writeMaskLanes(out: usize): void {
  const inf = f64x2.splat(INF);
  const zero = f32x4.splat(0);
  const one = i32x4.splat(1);
  for (let i = 0; i < M; i++) {
    const row = <usize>(i * M);
    for (let j = 0; j < M; j += 4) {
      const at = row + <usize>j;
      const s01 = f64x2.ne(v128.load(selr + (at << 3)), inf);
      const s23 = f64x2.ne(v128.load(selr + (at << 3), 16), inf);
      // The low i32 of each i64 lane mask: four i32 masks, then 0/1 in four bytes.
      let keep = v128.shuffle<i32>(s01, s23, 0, 2, 4, 6);
      if (AT_MOST) keep = v128.and(keep, f32x4.gt(v128.load(tile + (at << 2)), zero));
      const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(v128.and(keep, one), zero), zero);
      v128.store32_lane(out + at, bytes, 0);
    }
  }
}

/**
 * Solves tiles [start, end) of a batch: `tiles` f32 (m·m per tile), writes the 0/1 mask (u8, m·m
 * per tile), the dual potentials u, v (f64, m per tile) and each tile's LP-dual bound (f64) at
 * `bounds`. `scratch` holds exactTilesScratchBytes(s).
 */
export function exactTiles(
  s: Settings,
  start: i32,
  end: i32,
  tiles: usize,
  mask: usize,
  u: usize,
  v: usize,
  bounds: usize,
  scratch: usize,
): void {
  layoutAt(scratch);
  exactLayout(s);
  const m = M;
  const n = N;
  const mp = MP;
  netCount = buildNet(P, n, netPairs, sortbuf);
  // Padding of the transposed matrices is never written by setCell: fill it once.
  for (let j = 0; j < m; j++) {
    for (let i = m; i < mp; i++) {
      setF64(remc, j * mp + i, INF);
      setF64(addt, j * mp + i, INF);
    }
  }
  const sq = m * m;
  for (let t = start; t < end; t++) {
    tile = tiles + (<usize>t * sq << 2);
    solveTile();
    const out = mask + <usize>t * sq;
    writeMask(out);
    const ut = u + (<usize>t * m << 3);
    const vt = v + (<usize>t * m << 3);
    for (let k = 0; k < m; k++) {
      setF64(ut, k, f64At(uu, k));
      setF64(vt, k, f64At(vv, k));
    }
    store<f64>(bounds + (<usize>t << 3), tileBound(ut, vt));
  }
}

/**
 * The tile's LP-dual upper bound N·Σu + N·Σv + Σ max(0, s_ij − u_i − v_j) (potentials clamped at 0
 * under atMost), summed in the order of src/certificate.ts tileUpperBound (four partial sums by
 * column mod 4, held as two f64x2), so it is that value. No data-dependent branches: a scalar f64
 * select or max becomes a branch in the engine, and half of these go either way. The clamped
 * column potentials go to `lim`, free once the tile is solved.
 */
function tileBound(ut: usize, vt: usize): f64 {
  let potentials: f64 = 0;
  for (let i = 0; i < M; i++) {
    const vc = clampPotential(f64At(vt, i));
    setF64(lim, i, vc);
    potentials += clampPotential(f64At(ut, i)) + vc;
  }
  return <f64>N * potentials + ((M & 3) == 0 ? slackLanes(ut) : slackScalar(ut));
}

/** The slack sum for M a multiple of 4: lanes (s0, s1) and (s2, s3) of two f64x2. */
function slackLanes(ut: usize): f64 {
  const zero = f64x2.splat(0);
  let s01 = zero;
  let s23 = zero;
  for (let i = 0; i < M; i++) {
    const uv = f64x2.splat(clampPotential(f64At(ut, i)));
    const row = tile + (<usize>(i * M) << 2);
    for (let j = 0; j < M; j += 4) {
      const a = v128.load(row + (<usize>j << 2));
      const v = lim + (<usize>j << 3);
      const d01 = f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(a), uv), v128.load(v));
      const d23 = f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(a, a, 2, 3, 0, 1)), uv), v128.load(v, 16));
      s01 = f64x2.add(s01, f64x2.pmax(zero, d01));
      s23 = f64x2.add(s23, f64x2.pmax(zero, d23));
    }
  }
  const s0 = f64x2.extract_lane(s01, 0);
  const s1 = f64x2.extract_lane(s01, 1);
  return s0 + s1 + (f64x2.extract_lane(s23, 0) + f64x2.extract_lane(s23, 1));
}

/** The slack sum for other M, scalar, in the same order. */
function slackScalar(ut: usize): f64 {
  let s0: f64 = 0;
  let s1: f64 = 0;
  let s2: f64 = 0;
  let s3: f64 = 0;
  for (let i = 0; i < M; i++) {
    const ui = clampPotential(f64At(ut, i));
    const row = tile + (<usize>(i * M) << 2);
    let j = 0;
    for (; j + 3 < M; j += 4) {
      s0 += excess(row, ui, j);
      s1 += excess(row, ui, j + 1);
      s2 += excess(row, ui, j + 2);
      s3 += excess(row, ui, j + 3);
    }
    if (j < M) s0 += excess(row, ui, j++);
    if (j < M) s1 += excess(row, ui, j++);
    if (j < M) s2 += excess(row, ui, j);
  }
  return s0 + s1 + (s2 + s3);
}

/** max(0, x) under atMost (+0 for −0, as Math.max), else x. */
@inline function clampPotential(x: f64): f64 {
  return AT_MOST ? select<f64>(x, 0, x > 0) : x;
}

/** max(0, s_ij − u_i − v_j) for column j of the tile row at `row` (clamped v_j in lim), branch-free. */
@inline function excess(row: usize, ui: f64, j: i32): f64 {
  const d = <f64>load<f32>(row + (<usize>j << 2)) - ui - f64At(lim, j);
  return f64x2.extract_lane(f64x2.pmax(f64x2.splat(0), f64x2.splat(d)), 0);
}
