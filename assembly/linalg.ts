// Dense linear algebra for the layer pruners (src/reference/linalg.ts is the readable spec of every
// kernel here; docs/pruning.md describes where each is used). All matrices are row-major.
//
// GEMM, C = β·C + α·op(A)·op(B) in f32, after Goto & van de Geijn (2008): op(B) is packed once into
// 8-column strips per KC-deep slice of k (gemmPackB), then every MC-row block of C packs its slice of
// op(A) into 4-row panels and runs a 4×8 register micro-kernel (8 f32x4 accumulators, 2 loads and 4
// broadcasts per 64 flops). Within a row range, each 512-column × 256-deep panel of packed B is used by
// all the range's row blocks before the next one, so B streams from memory once per range, not once
// per block. Packing pads with zeros, so ragged edges cost only a partial store. Row ranges are
// independent: the worker pool runs gemmRows on disjoint row ranges of C.
//
// Accumulation, by measured accuracy (test/prune/linalg.test.ts checks the bounds):
// - GEMM accumulates in f32 (as sgemm does): the relative error of an entry grows like √k·2⁻²⁴,
//   about 4e-6 at k = 4096, below what the f32 output can hold for the pruners' uses.
// - Gram XᵀX (gemmRows with f64 output) accumulates each KC = 256-sample slice in f32 and adds the
//   slices into f64, so its error stays ~1e-6 relative however many samples there are; the Cholesky
//   of a damped H then sees a Gram as accurate as an f64 loop's to ~1e-6.
// - Cholesky, the triangular inverse (assembly/blockedFactor.ts) and the SPD inverse run in f64 (f64x2): they amplify errors by
//   the condition number of H (up to ~1e5 after 1% dampening), which f32 would turn into 1% errors. The
//   exact refit (assembly/refit.ts) factors in f32 but corrects the solution with f64 residuals, so its
//   result is the f64 solve's.
//
// Invariants: pointers are byte offsets of 16-byte aligned arrays the caller laid out; kernels write
// only their output rows (gemmRows) or their own matrix (cholesky, triangular inverse); scratch is
// the caller's (gemmScratchBytes).

const MR = 4;
const NR = 8;
/** Depth of one packed slice: a 256 × 8 f32 strip of B (8 KiB) stays in L1. */
const KC = 256;
/** Rows of C per block: the packed 64 × 256 slice of A (64 KiB) stays in L2. */
const MC = 64;
/** Columns of C per pass over a row range (a multiple of NR). */
const NC = 512;

@inline function f32At(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

@inline export function f64At(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline function roundUp(x: i32, to: i32): i32 {
  return ((x + to - 1) / to) * to;
}

/** Bytes of op(B) packed: k × n rounded up to whole 8-column strips. */
export function gemmPackedBytes(k: i32, n: i32): i32 {
  return k * roundUp(n, NR) * 4;
}

/** Bytes of scratch one gemmRows call needs (one packed MC × KC slice of A, and a partial tile). */
export function gemmScratchBytes(): i32 {
  return (MC * KC + MR * NR) * 4;
}

/**
 * Packs op(B) (k × n; B is n × k with row stride ldb when transB, else k × n) into `packed`: for each
 * KC slice starting at k0, strips of 8 columns, each kLen × 8 contiguous; columns past n are 0.
 */
export function gemmPackB(b: usize, ldb: i32, transB: i32, k: i32, n: i32, packed: usize): void {
  const strips = roundUp(n, NR) / NR;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kLen = min(KC, k - k0);
    for (let s = 0; s < strips; s++) {
      const base = packed + (<usize>(k0 * strips * NR + s * kLen * NR) << 2);
      const j0 = s * NR;
      const width = min(NR, n - j0);
      for (let p = 0; p < kLen; p++) {
        const to = base + (<usize>(p * NR) << 2);
        if (!transB && width == NR) {
          const from = b + (<usize>((k0 + p) * ldb + j0) << 2);
          v128.store(to, v128.load(from));
          v128.store(to, v128.load(from, 16), 16);
          continue;
        }
        for (let j = 0; j < NR; j++) {
          let x: f32 = 0;
          if (j < width) x = transB ? f32At(b, (j0 + j) * ldb + k0 + p) : f32At(b, (k0 + p) * ldb + j0 + j);
          store<f32>(to + (<usize>j << 2), x);
        }
      }
    }
  }
}

/** Packs rows [i0, i0 + mLen) of op(A), depth [k0, k0 + kLen), into 4-row panels (kLen × 4 each). */
function packA(a: usize, lda: i32, transA: i32, i0: i32, mLen: i32, k0: i32, kLen: i32, out: usize): void {
  for (let q = 0; q < mLen; q += MR) {
    const panel = out + (<usize>(q * kLen) << 2);
    for (let p = 0; p < kLen; p++) {
      for (let r = 0; r < MR; r++) {
        const i = i0 + q + r;
        let x: f32 = 0;
        if (q + r < mLen) x = transA ? f32At(a, (k0 + p) * lda + i) : f32At(a, i * lda + k0 + p);
        store<f32>(panel + (<usize>(p * MR + r) << 2), x);
      }
    }
  }
}

/**
 * Rows [rowStart, rowEnd) of C = β·C + α·op(A)·op(B), with op(B) packed by gemmPackB. op(A) is m × k
 * (A is k × m with row stride lda when transA, else m × k). With `f64Out` C is f64 (row stride ldc)
 * and each KC slice's f32 sums are added into it in f64. With `upperOnly` (C symmetric, e.g. XᵀX) the
 * columns left of each 64-row block's first 8-column strip are skipped; the caller mirrors the upper
 * triangle down.
 */
export function gemmRows(
  a: usize,
  lda: i32,
  transA: i32,
  packedB: usize,
  k: i32,
  n: i32,
  c: usize,
  ldc: i32,
  alpha: f32,
  beta: f32,
  f64Out: i32,
  upperOnly: i32,
  rowStart: i32,
  rowEnd: i32,
  scratch: usize,
): void {
  const strips = roundUp(n, NR) / NR;
  const tile = scratch + (<usize>(MC * KC) << 2);
  if (k == 0) {
    for (let i0 = rowStart; i0 < rowEnd; i0 += MC) scaleRows(c, ldc, n, i0, min(MC, rowEnd - i0), beta, f64Out);
    return;
  }
  // NC columns × KC depth of packed B (512 KiB) are reused by every row block of the range while they
  // are in L2; C is revisited once per KC slice.
  for (let s0 = 0; s0 < strips; s0 += NC / NR) {
    const s1 = min(strips, s0 + NC / NR);
    for (let k0 = 0; k0 < k; k0 += KC) {
      const kLen = min(KC, k - k0);
      // The first slice applies β; later slices add onto C.
      const b0: f32 = k0 == 0 ? beta : 1;
      for (let i0 = rowStart; i0 < rowEnd; i0 += MC) {
        const mLen = min(MC, rowEnd - i0);
        // A symmetric product (the Gram matrix) needs only the strips from the block's diagonal on
        // (none of this panel's when the diagonal lies past it: then A need not be packed either).
        const first = upperOnly ? max(s0, i0 / NR) : s0;
        if (first >= s1) continue;
        packA(a, lda, transA, i0, mLen, k0, kLen, scratch);
        for (let s = first; s < s1; s++) {
          const bPanel = packedB + (<usize>(k0 * strips * NR + s * kLen * NR) << 2);
          const j0 = s * NR;
          const width = min(NR, n - j0);
          for (let q = 0; q < mLen; q += MR) {
            microKernel(scratch + (<usize>(q * kLen) << 2), bPanel, kLen, tile);
            storeTile(tile, c, ldc, i0 + q, j0, min(MR, mLen - q), width, alpha, b0, f64Out);
          }
        }
      }
    }
  }
}

/** C rows ← β·C (k = 0: the product is empty). */
function scaleRows(c: usize, ldc: i32, n: i32, i0: i32, mLen: i32, beta: f32, f64Out: i32): void {
  for (let i = i0; i < i0 + mLen; i++) {
    for (let j = 0; j < n; j++) {
      const at = i * ldc + j;
      if (f64Out) store<f64>(c + (<usize>at << 3), beta == 0 ? 0 : <f64>beta * f64At(c, at));
      else store<f32>(c + (<usize>at << 2), beta == 0 ? 0 : beta * f32At(c, at));
    }
  }
}

/**
 * tile (4 × 8 f32) = Σ_p A panel[p] ⊗ B strip[p]: the 4×8 register block.
 * Exported (no caller outside uses it) only so that the optimiser keeps it a function of its own: V8
 * runs a wasm function in baseline code until it is hot and switches to optimised code on a later call
 * (there is no on-stack replacement), so inlined into gemmRows the loop ran in baseline code for the
 * whole first task of each worker — the first 2048² Gram of a process took 2.7 s instead of 0.7 s.
 */
export function microKernel(ap: usize, bp: usize, kLen: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kLen; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    const a1 = v128.load32_splat(ap, 4);
    const a2 = v128.load32_splat(ap, 8);
    const a3 = v128.load32_splat(ap, 12);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    ap += MR << 2;
    bp += NR << 2;
  }
  v128.store(tile, c00);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
}

/** C[i.., j..] (height × width) = b0·C + α·tile, in f32 or (f64Out) f64. */
@inline function storeTile(
  tile: usize,
  c: usize,
  ldc: i32,
  i: i32,
  j: i32,
  height: i32,
  width: i32,
  alpha: f32,
  b0: f32,
  f64Out: i32,
): void {
  if (!f64Out && width == NR) {
    const va = f32x4.splat(alpha);
    const vb = f32x4.splat(b0);
    for (let r = 0; r < height; r++) {
      const to = c + (<usize>((i + r) * ldc + j) << 2);
      const t0 = f32x4.mul(va, v128.load(tile + (<usize>(r * NR) << 2)));
      const t1 = f32x4.mul(va, v128.load(tile + (<usize>(r * NR + 4) << 2)));
      if (b0 == 0) {
        v128.store(to, t0);
        v128.store(to, t1, 16);
      } else {
        v128.store(to, f32x4.add(f32x4.mul(vb, v128.load(to)), t0));
        v128.store(to, f32x4.add(f32x4.mul(vb, v128.load(to, 16)), t1), 16);
      }
    }
    return;
  }
  for (let r = 0; r < height; r++) {
    for (let s = 0; s < width; s++) {
      const at = (i + r) * ldc + j + s;
      const t = f32At(tile, r * NR + s);
      if (f64Out) {
        const old = b0 == 0 ? 0 : <f64>b0 * f64At(c, at);
        store<f64>(c + (<usize>at << 3), old + <f64>alpha * <f64>t);
      } else {
        const old: f32 = b0 == 0 ? 0 : b0 * f32At(c, at);
        store<f32>(c + (<usize>at << 2), old + alpha * t);
      }
    }
  }
}

/** Σ_{m < len} x[m]·y[m] in f64 (f64x2 lanes, then the odd tail). */
@inline export function dot64(x: usize, y: usize, len: i32): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let m = 0;
  for (; m + 3 < len; m += 4) {
    const o = <usize>m << 3;
    s0 = f64x2.add(s0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  const s = f64x2.add(s0, s1);
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; m < len; m++) total += f64At(x, m) * f64At(y, m);
  return total;
}

/**
 * In-place lower Cholesky of the diagonal block [k0, k1)² of the n × n f64 matrix at `a` (row stride n),
 * Cholesky–Banachiewicz by rows: L_ij = (A_ij − L_i·L_j)/L_jj over columns k0..j−1 of two rows,
 * contiguous. With k0 = 0 and k1 = n this is the whole factorisation; in the blocked one
 * (assembly/blockedFactor.ts) the block has already received the updates of the columns before k0.
 * Only the lower triangle is read; the rows' entries right of the diagonal are set to 0. Rows go four
 * at a time: each row L_j (j below the four) is loaded once for four dot products (f64x2), a quarter
 * of the memory traffic of one row at a time; the 4×4 diagonal block follows row by row. Returns −1 on
 * success, else the index of the first pivot that is not above `minPivot` (the factor is then partial).
 */
export function choleskyDiagonalBlock(a: usize, n: i32, k0: i32, k1: i32, minPivot: f64): i32 {
  const stride = <usize>n << 3;
  const from = <usize>k0 << 3;
  let i = k0;
  for (; i + 3 < k1; i += 4) {
    const r0 = a + <usize>i * stride + from;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    for (let j = k0; j < i; j++) {
      const rj = a + <usize>j * stride + from;
      const len = j - k0;
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let s2 = f64x2.splat(0);
      let s3 = f64x2.splat(0);
      let m = 0;
      for (; m + 1 < len; m += 2) {
        const o = <usize>m << 3;
        const x = v128.load(rj + o);
        s0 = f64x2.add(s0, f64x2.mul(v128.load(r0 + o), x));
        s1 = f64x2.add(s1, f64x2.mul(v128.load(r1 + o), x));
        s2 = f64x2.add(s2, f64x2.mul(v128.load(r2 + o), x));
        s3 = f64x2.add(s3, f64x2.mul(v128.load(r3 + o), x));
      }
      let d0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
      let d1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
      let d2 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
      let d3 = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
      if (m < len) {
        const x = f64At(rj, m);
        d0 += f64At(r0, m) * x;
        d1 += f64At(r1, m) * x;
        d2 += f64At(r2, m) * x;
        d3 += f64At(r3, m) * x;
      }
      const pivot = f64At(rj, len);
      const o = <usize>len << 3;
      store<f64>(r0 + o, (f64At(r0, len) - d0) / pivot);
      store<f64>(r1 + o, (f64At(r1, len) - d1) / pivot);
      store<f64>(r2 + o, (f64At(r2, len) - d2) / pivot);
      store<f64>(r3 + o, (f64At(r3, len) - d3) / pivot);
    }
    for (let r = i; r < i + 4; r++) {
      if (!choleskyRowFrom(a, n, k0, r, i, minPivot)) return r;
    }
  }
  for (; i < k1; i++) {
    if (!choleskyRowFrom(a, n, k0, i, k0, minPivot)) return i;
  }
  return -1;
}

/** Row i of the block's L from column `from` to the diagonal (columns before `from` are done); false on a bad pivot. */
function choleskyRowFrom(a: usize, n: i32, k0: i32, i: i32, from: i32, minPivot: f64): bool {
  const rowI = a + (<usize>(i * n) << 3);
  const start = <usize>k0 << 3;
  for (let j = from; j <= i; j++) {
    const rowJ = a + (<usize>(j * n) << 3);
    const s = f64At(rowI, j) - dot64(rowI + start, rowJ + start, j - k0);
    if (j < i) {
      store<f64>(rowI + (<usize>j << 3), s / f64At(rowJ, j));
    } else {
      if (!(s > minPivot)) return false;
      store<f64>(rowI + (<usize>i << 3), Math.sqrt(s));
    }
  }
  for (let j = i + 1; j < n; j++) store<f64>(rowI + (<usize>j << 3), 0);
  return true;
}

/**
 * out (n × n, f64, full symmetric) = Y·Yᵀ for the upper-triangular Y at `y`: with Y = L⁻ᵀ this is
 * (L·Lᵀ)⁻¹. out_ij = Σ_{m ≥ max(i,j)} Y_im·Y_jm, dot products of contiguous row tails, four rows j per
 * load of row i; then mirrored.
 */
export function upperGram(y: usize, n: i32, out: usize): void {
  const stride = <usize>n << 3;
  for (let i = 0; i < n; i++) {
    const yi = y + <usize>i * stride;
    const oi = out + <usize>i * stride;
    // Row i, columns j ≥ i: the dot runs over m ≥ j.
    let j = i;
    for (; j + 3 < n; j += 4) {
      const y0 = y + <usize>j * stride;
      const y1 = y0 + stride;
      const y2 = y1 + stride;
      const y3 = y2 + stride;
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let s2 = f64x2.splat(0);
      let s3 = f64x2.splat(0);
      let m = j + 3;
      for (; m + 1 < n; m += 2) {
        const o = <usize>m << 3;
        const x = v128.load(yi + o);
        s0 = f64x2.add(s0, f64x2.mul(x, v128.load(y0 + o)));
        s1 = f64x2.add(s1, f64x2.mul(x, v128.load(y1 + o)));
        s2 = f64x2.add(s2, f64x2.mul(x, v128.load(y2 + o)));
        s3 = f64x2.add(s3, f64x2.mul(x, v128.load(y3 + o)));
      }
      let d0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
      let d1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
      let d2 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
      let d3 = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
      if (m < n) {
        const x = f64At(yi, m);
        d0 += x * f64At(y0, m);
        d1 += x * f64At(y1, m);
        d2 += x * f64At(y2, m);
        d3 += x * f64At(y3, m);
      }
      // The terms before the common range (rows j + 1, j + 2 are zero below their diagonal).
      for (let t = j; t < j + 3; t++) {
        const x = f64At(yi, t);
        d0 += x * f64At(y0, t);
        d1 += x * f64At(y1, t);
        d2 += x * f64At(y2, t);
      }
      store<f64>(oi + (<usize>j << 3), d0);
      store<f64>(oi + (<usize>(j + 1) << 3), d1);
      store<f64>(oi + (<usize>(j + 2) << 3), d2);
      store<f64>(oi + (<usize>(j + 3) << 3), d3);
    }
    for (; j < n; j++) {
      store<f64>(oi + (<usize>j << 3), dot64(yi + (<usize>j << 3), y + <usize>j * stride + (<usize>j << 3), n - j));
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) store<f64>(out + <usize>i * stride + (<usize>j << 3), f64At(out, j * n + i));
  }
}

/** Solves L·y = b in place (b → y) for the lower-triangular n × n f64 L: dot products of rows of L. */
export function solveLower(l: usize, n: i32, b: usize): void {
  for (let i = 0; i < n; i++) {
    const li = l + (<usize>(i * n) << 3);
    store<f64>(b + (<usize>i << 3), (f64At(b, i) - dot64(li, b, i)) / f64At(li, i));
  }
}

/** Solves Lᵀ·x = y in place (y → x): each solved x_i is removed from the earlier entries at once (axpy on row i). */
export function solveLowerTransposed(l: usize, n: i32, y: usize): void {
  for (let i = n - 1; i >= 0; i--) {
    const li = l + (<usize>(i * n) << 3);
    const xi = f64At(y, i) / f64At(li, i);
    store<f64>(y + (<usize>i << 3), xi);
    const f = f64x2.splat(xi);
    let m = 0;
    for (; m + 1 < i; m += 2) {
      const o = <usize>m << 3;
      v128.store(y + o, f64x2.sub(v128.load(y + o), f64x2.mul(f, v128.load(li + o))));
    }
    if (m < i) store<f64>(y + (<usize>m << 3), f64At(y, m) - f64At(li, m) * xi);
  }
}
