/**
 * Bindings of the WebAssembly linear algebra kernels (assembly/linalg.ts, built as its own module,
 * build/nmsparse-linalg[-threads].wasm, with its own memory and worker pool sized by the wasm backend's
 * settings): operands are copied into linear memory, the kernels run there (GEMM, Gram, the exact
 * refit and the blocked Cholesky and triangular inverse on the worker pool, split by rows), results are copied out. Same quantities as
 * src/reference/linalg.ts; the accumulation of each kernel is explained in assembly/linalg.ts. Calls
 * take turns on the one memory (`exclusive`).
 */
import type { KernelContext } from '../core/types.js';
import { runChunked } from '../core/chunks.js';
import { singular, type GemmShape } from '../reference/linalg.js';
import type { ObsBlockResult, ObsSweepResult } from '../core/types.js';
import { throwIfAborted } from '../core/errors.js';
import { blockColumns, blockCorner, lazyOperand, setBlockColumns } from '../reference/obsSweep.js';
import { wasmParallelism } from './wasm.js';
import { Kernels, loadWasmModule, newMemory, type KernelName, type WasmModule } from './wasmModule.js';
import { WorkerPool, type PoolTask } from './workerPool.js';
import { registerKernel } from './registry.js';

interface Runtime {
  wasm: WasmModule;
  kernels: Kernels;
}

let runtime: Promise<Runtime> | undefined;
/** The module load the runtime was made from: a new one (configureWasm({ linalg })) makes a new runtime. */
let loadedFrom: Promise<WasmModule> | undefined;
/** The pool and the thread count it was made for (remade when configureWasm changes it). */
let pool: { threads: number; pool: Promise<WorkerPool> } | undefined;

function getRuntime(): Promise<Runtime> {
  const loading = loadWasmModule('nmsparse-linalg');
  if (loading !== loadedFrom || !runtime) {
    const old = pool;
    pool = undefined;
    if (old) void old.pool.then((p) => p.close(), () => undefined);
    loadedFrom = loading;
    runtime = loading.then((wasm) => ({ wasm, kernels: new Kernels(wasm, newMemory(wasm)) }));
  }
  return runtime;
}

/** The worker pool for a job of `units`, or undefined to run inline (small job, one thread, no shared memory). */
async function workers(rt: Runtime, units: number): Promise<WorkerPool | undefined> {
  const { threads, minParallelUnits } = await wasmParallelism();
  if (!rt.wasm.shared || threads < 2 || units < minParallelUnits) return undefined;
  if (pool?.threads !== threads) {
    const old = pool;
    pool = { threads, pool: WorkerPool.create(threads, rt.wasm, rt.kernels.memory) };
    if (old) await (await old.pool).close();
  }
  return pool.pool;
}

/** Calls share one linear memory, so they take turns. */
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work);
  queue = run.catch(() => undefined);
  return run;
}

/** The linear algebra exports (pointers are byte offsets into linear memory; flags are 0/1). */
interface LinalgExports {
  gemmPackedBytes(k: number, n: number): number;
  gemmScratchBytes(): number;
  gemmPackB(b: number, ldb: number, transB: number, k: number, n: number, packed: number): void;
  gemmRows(
    a: number,
    lda: number,
    transA: number,
    packedB: number,
    k: number,
    n: number,
    c: number,
    ldc: number,
    alpha: number,
    beta: number,
    f64Out: number,
    upperOnly: number,
    rowStart: number,
    rowEnd: number,
    scratch: number,
  ): void;
  choleskyDiagonalBlock(a: number, n: number, k0: number, k1: number, minPivot: number): number;
  choleskyPanelRows(a: number, n: number, k0: number, k1: number, rowStart: number, rowEnd: number): void;
  choleskyUpdateRows(a: number, n: number, k0: number, k1: number, rowStart: number, rowEnd: number): void;
  inverseBlockRows(l: number, n: number, i0: number, i1: number, c0: number, c1: number, y: number): void;
  inverseDiagonalBlock(l: number, n: number, i0: number, i1: number, y: number): void;
  upperGram(y: number, n: number, out: number): void;
  obsScratchBytes(width: number, m: number): number;
  obsBlockRows(
    w: number,
    width: number,
    u: number,
    n: number,
    m: number,
    rowStart: number,
    rowEnd: number,
    mask: number,
    err: number,
    scratch: number,
  ): void;
  refitScratchBytes(k: number, n: number): number;
  refitRows(
    h: number,
    n: number,
    mask: number,
    rhs: number,
    ridge: number,
    rowStart: number,
    rowEnd: number,
    out: number,
    scratch: number,
  ): void;
}

function linalgExports(rt: Runtime): LinalgExports {
  return rt.kernels.exports as unknown as LinalgExports;
}

/**
 * Rows of C per task: a multiple of the kernel's 64-row blocks, about four tasks per worker (each task
 * streams the packed B once, so fewer, larger tasks read less memory; four keep the workers balanced).
 */
function rowTask(rows: number, threads: number): number {
  return Math.max(64, Math.ceil(rows / (4 * threads) / 64) * 64);
}
/** Multiply-adds per pool unit when deciding whether a product is worth the pool. */
const FLOPS_PER_UNIT = 1 << 14;

/**
 * Runs `fn` over rows [0, rows) in tasks of `perTask` rows: on the pool when `units` is large enough
 * (one scratch block per worker), else inline between event-loop yields. `args(start, end, scratch)`.
 */
async function overRows(
  rt: Runtime,
  fn: string,
  rows: number,
  perTask: number,
  units: number,
  scratch: number[],
  ctx: KernelContext,
  args: (start: number, end: number, scratch: number) => number[],
): Promise<void> {
  const pool = await workers(rt, units);
  if (pool) {
    const tasks: PoolTask[] = [];
    for (let start = 0; start < rows; start += perTask) {
      const end = Math.min(rows, start + perTask);
      tasks.push({ size: end - start, args: (worker) => args(start, end, scratch[worker]) });
    }
    await pool.run(fn as KernelName, tasks, rows, ctx);
    return;
  }
  const call = (rt.kernels.exports as unknown as Record<string, (...a: number[]) => void>)[fn] as (...a: number[]) => void;
  await runChunked(rows, perTask, ctx, (start, end) => call(...args(start, end, scratch[0])));
}

/** C = β·C + α·op(A)·op(B) in f32 (C updated in place and returned). */
export function gemm(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  s: GemmShape,
  ctx: KernelContext = {},
): Promise<Float32Array> {
  return exclusive(async () => {
    const rt = await getRuntime();
    const x = linalgExports(rt);
    const { m, k, n } = s;
    const units = Math.floor((m * n * k) / FLOPS_PER_UNIT);
    const pool = await workers(rt, units);
    const threads = pool ? pool.size : 1;
    const [pa, pb, packed, pc, ...scratch] = rt.kernels.layout([
      a.length * 4,
      b.length * 4,
      x.gemmPackedBytes(k, n),
      m * n * 4,
      ...Array.from({ length: threads }, () => x.gemmScratchBytes()),
    ]) as [number, number, number, number, ...number[]];
    rt.kernels.f32(pa, a.length).set(a);
    rt.kernels.f32(pb, b.length).set(b);
    const beta = s.beta ?? 0;
    if (beta !== 0) rt.kernels.f32(pc, m * n).set(c.subarray(0, m * n));
    x.gemmPackB(pb, s.transB ? k : n, s.transB ? 1 : 0, k, n, packed);
    const lda = s.transA ? m : k;
    await overRows(rt, 'gemmRows', m, rowTask(m, threads), units, scratch, ctx, (start, end, sc) => [
      pa, lda, s.transA ? 1 : 0, packed, k, n, pc, n, s.alpha ?? 1, beta, 0, 0, start, end, sc,
    ]);
    c.set(rt.kernels.f32(pc, m * n));
    return c;
  });
}

/**
 * The features' Gram matrix (f64, features × features): XᵀX for X samples × features, X·Xᵀ for X
 * features × samples. f32 sums per 256-sample slice, added in f64; the upper triangle only, mirrored.
 */
export function gram(
  data: Float32Array,
  rows: number,
  cols: number,
  featuresBySamples: boolean,
  ctx: KernelContext = {},
): Promise<Float64Array> {
  return exclusive(async () => {
    const rt = await getRuntime();
    const x = linalgExports(rt);
    const f = featuresBySamples ? rows : cols;
    const samples = featuresBySamples ? cols : rows;
    const units = Math.floor((f * f * samples) / FLOPS_PER_UNIT);
    const pool = await workers(rt, units);
    const threads = pool ? pool.size : 1;
    const [px, packed, ph, ...scratch] = rt.kernels.layout([
      data.length * 4,
      x.gemmPackedBytes(samples, f),
      f * f * 8,
      ...Array.from({ length: threads }, () => x.gemmScratchBytes()),
    ]) as [number, number, number, ...number[]];
    rt.kernels.f32(px, data.length).set(data);
    // op(B) = X (samples × features): transposed storage when X is features × samples.
    x.gemmPackB(px, cols, featuresBySamples ? 1 : 0, samples, f, packed);
    await overRows(rt, 'gemmRows', f, rowTask(f, threads), units, scratch, ctx, (start, end, sc) => [
      px, cols, featuresBySamples ? 0 : 1, packed, samples, f, ph, f, 1, 0, 1, 1, start, end, sc,
    ]);
    // Only the upper triangle was computed (up to whole blocks): mirror it down.
    const h = rt.kernels.f64(ph, f * f).slice();
    for (let i = 1; i < f; i++) for (let j = 0; j < i; j++) h[i * f + j] = h[j * f + i];
    return h;
  });
}

/**
 * Columns per block of the blocked Cholesky and triangular inverse (assembly/blockedFactor.ts): the
 * B-long row segments of a block column stay in cache, and n/B steps each run one or two pool jobs.
 */
const FACTOR_BLOCK = 128;

/**
 * Runs `fn` on rows [from, to) in tasks on the pool (or inline, for small jobs): `perRow(r)` is the
 * work of row r, so task boundaries split the work (not the rows) evenly, ~8 tasks per thread.
 */
async function overWeightedRows(
  rt: Runtime,
  fn: string,
  from: number,
  to: number,
  perRow: (r: number) => number,
  ctx: KernelContext,
  args: (start: number, end: number) => number[],
): Promise<void> {
  let total = 0;
  for (let r = from; r < to; r++) total += perRow(r);
  const pool = await workers(rt, Math.floor(total / FLOPS_PER_UNIT));
  const call = (rt.kernels.exports as unknown as Record<string, (...a: number[]) => void>)[fn] as (...a: number[]) => void;
  if (!pool) {
    call(...args(from, to));
    return;
  }
  const share = total / (8 * pool.size);
  const tasks: PoolTask[] = [];
  let start = from;
  let work = 0;
  for (let r = from; r < to; r++) {
    work += perRow(r);
    if (work >= share || r === to - 1) {
      const [s, e] = [start, r + 1];
      tasks.push({ size: e - s, args: () => args(s, e) });
      start = r + 1;
      work = 0;
    }
  }
  await pool.run(fn as KernelName, tasks, to - from, ctx);
}

/**
 * Blocked right-looking Cholesky in place at `p` (n × n f64 in linear memory): per block column, the
 * diagonal block on this thread, then the panel solve and the trailing update on the pool. Returns
 * −1, or the row whose pivot is not above minPivot.
 */
async function choleskyInMemory(rt: Runtime, p: number, n: number, minPivot: number, ctx: KernelContext): Promise<number> {
  const x = linalgExports(rt);
  for (let k0 = 0; k0 < n; k0 += FACTOR_BLOCK) {
    const k1 = Math.min(n, k0 + FACTOR_BLOCK);
    const failed = x.choleskyDiagonalBlock(p, n, k0, k1, minPivot);
    if (failed >= 0) return failed;
    if (k1 === n) break;
    const b = k1 - k0;
    await overWeightedRows(rt, 'choleskyPanelRows', k1, n, () => (b * b) / 2, ctx, (s, e) => [p, n, k0, k1, s, e]);
    await overWeightedRows(rt, 'choleskyUpdateRows', k1, n, (r) => (r - k1 + 1) * b, ctx, (s, e) => [p, n, k0, k1, s, e]);
  }
  return -1;
}

/** Y = L⁻ᵀ (upper) at `y` for the lower-triangular L at `l`, blocked by block columns of Y. */
async function inverseInMemory(rt: Runtime, l: number, n: number, y: number, ctx: KernelContext): Promise<void> {
  const x = linalgExports(rt);
  rt.kernels.f64(y, n * n).fill(0);
  for (let i0 = 0; i0 < n; i0 += FACTOR_BLOCK) {
    const i1 = Math.min(n, i0 + FACTOR_BLOCK);
    const b = i1 - i0;
    if (i0 > 0) await overWeightedRows(rt, 'inverseBlockRows', 0, i0, (j) => (i0 - j + b) * b, ctx, (s, e) => [l, n, i0, i1, s, e, y]);
    x.inverseDiagonalBlock(l, n, i0, i1, y);
  }
}

/** The lower Cholesky factor of the SPD n × n f64 matrix (E_SINGULAR when a pivot is not above minPivot). */
export function cholesky(a: Float64Array, n: number, minPivot = 0, ctx: KernelContext = {}): Promise<Float64Array> {
  return exclusive(async () => {
    const rt = await getRuntime();
    const [p] = rt.kernels.layout([n * n * 8]) as [number];
    rt.kernels.f64(p, n * n).set(a.subarray(0, n * n));
    const failed = await choleskyInMemory(rt, p, n, minPivot, ctx);
    const view = rt.kernels.f64(p, n * n);
    if (failed >= 0) throw singular(failed, pivotValue(a, view, n, failed));
    return view.slice();
  });
}

/** The pivot that failed, recomputed from the partial factor (for the error message). */
function pivotValue(a: Float64Array, l: Float64Array, n: number, i: number): number {
  let s = a[i * n + i];
  for (let p = 0; p < i; p++) s -= (l[i * n + p]) ** 2;
  return s;
}

/** L⁻¹ for a lower-triangular L (the kernels build L⁻ᵀ by rows; transposed here). */
export function triangularInverseLower(l: Float64Array, n: number, ctx: KernelContext = {}): Promise<Float64Array> {
  return exclusive(async () => {
    const rt = await getRuntime();
    const [p, y] = rt.kernels.layout([n * n * 8, n * n * 8]) as [number, number];
    rt.kernels.f64(p, n * n).set(l.subarray(0, n * n));
    await inverseInMemory(rt, p, n, y, ctx);
    const upper = rt.kernels.f64(y, n * n);
    const x = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) x[i * n + j] = upper[j * n + i];
    return x;
  });
}

/** A⁻¹ of a symmetric positive definite A (E_SINGULAR otherwise): Cholesky, Y = L⁻ᵀ, then Y·Yᵀ. */
export function spdInverse(a: Float64Array, n: number, minPivot = 0, ctx: KernelContext = {}): Promise<Float64Array> {
  return exclusive(async () => {
    const rt = await getRuntime();
    const x = linalgExports(rt);
    const [p, y, out] = rt.kernels.layout([n * n * 8, n * n * 8, n * n * 8]) as [number, number, number];
    rt.kernels.f64(p, n * n).set(a.subarray(0, n * n));
    const failed = await choleskyInMemory(rt, p, n, minPivot, ctx);
    if (failed >= 0) throw singular(failed, pivotValue(a, rt.kernels.f64(p, n * n), n, failed));
    await inverseInMemory(rt, p, n, y, ctx);
    x.upperGram(y, n, out);
    return rt.kernels.f64(out, n * n).slice();
  });
}

/** The exact refit of every row on its mask (see refitRows in src/reference/linalg.ts). */
export function refitRows(
  h: Float64Array,
  n: number,
  mask: Uint8Array,
  rhs: Float64Array,
  ridge: number,
  rows: number,
  ctx: KernelContext = {},
): Promise<Float32Array> {
  return exclusive(async () => {
    const rt = await getRuntime();
    const x = linalgExports(rt);
    let widest = 0;
    for (let r = 0; r < rows; r++) {
      let k = 0;
      for (let j = 0; j < n; j++) k += mask[r * n + j] ? 1 : 0;
      widest = Math.max(widest, k);
    }
    // Each row costs about k³/6 multiply-adds.
    const units = Math.floor((rows * widest ** 3) / 6 / FLOPS_PER_UNIT);
    const pool = await workers(rt, units);
    const threads = pool ? pool.size : 1;
    const [ph, pm, pr, po, ...scratch] = rt.kernels.layout([
      n * n * 8,
      rows * n,
      rows * n * 8,
      rows * n * 4,
      ...Array.from({ length: threads }, () => x.refitScratchBytes(widest, n)),
    ]) as [number, number, number, number, ...number[]];
    rt.kernels.f64(ph, n * n).set(h.subarray(0, n * n));
    rt.kernels.u8(pm, rows * n).set(mask.subarray(0, rows * n));
    rt.kernels.f64(pr, rows * n).set(rhs.subarray(0, rows * n));
    const perTask = Math.max(1, Math.ceil(rows / (threads * 8)));
    await overRows(rt, 'refitRows', rows, perTask, units, scratch, ctx, (start, end, sc) => [
      ph, n, pm, pr, ridge, start, end, po, sc,
    ]);
    return rt.kernels.f32(po, rows * n).slice();
  });
}

/** One block of SparseGPT's sweep for a standard pattern (see obsBlockRows in src/reference/obsSweep.ts). */
export function obsBlock(
  w: Float32Array,
  rows: number,
  width: number,
  u: Float64Array,
  n: number,
  m: number,
  ctx: KernelContext = {},
): Promise<ObsBlockResult> {
  return exclusive(async () => {
    const rt = await getRuntime();
    const x = linalgExports(rt);
    // Each row costs about width²/4 multiply-adds (half its columns pruned, each updating half the rest).
    const units = Math.floor((rows * width * width) / 4 / FLOPS_PER_UNIT);
    const pool = await workers(rt, units);
    const threads = pool ? pool.size : 1;
    const [pw, pu, pm, pe, ...scratch] = rt.kernels.layout([
      rows * width * 4,
      width * width * 8,
      rows * width,
      rows * width * 4,
      ...Array.from({ length: threads }, () => x.obsScratchBytes(width, m)),
    ]) as [number, number, number, number, ...number[]];
    rt.kernels.f32(pw, rows * width).set(w.subarray(0, rows * width));
    rt.kernels.f64(pu, width * width).set(u.subarray(0, width * width));
    const perTask = Math.max(1, Math.ceil(rows / (threads * 4)));
    await overRows(rt, 'obsBlockRows', rows, perTask, units, scratch, ctx, (start, end, sc) => [
      pw, width, pu, n, m, start, end, pm, pe, sc,
    ]);
    return {
      weights: rt.kernels.f32(pw, rows * width).slice(),
      mask: rt.kernels.u8(pm, rows * width).slice(),
      err: rt.kernels.f32(pe, rows * width).slice(),
    };
  });
}

/**
 * SparseGPT's whole sweep for a standard pattern (obsSweep in src/reference/obsSweep.ts, the spec): W
 * stays in linear memory for the whole sweep. Per block, its columns are copied out to obsBlockRows (as
 * the obsBlock kernel runs it) and back, and the lazy update W[:, i2..] −= Err·U[i1..i2, i2..] runs
 * gemmRows on W's later columns in place (row stride n), as the gemm kernel runs it on a copy — so the
 * result is the obsBlock and gemm kernels' bit for bit, without moving the columns after each block
 * (up to the whole of W) in and out of linear memory per block.
 */
export function obsSweep(
  w: Float32Array,
  rows: number,
  n: number,
  u: Float64Array,
  keep: number,
  m: number,
  block: number,
  ctx: KernelContext = {},
): Promise<ObsSweepResult> {
  return exclusive(async () => {
    const rt = await getRuntime();
    const x = linalgExports(rt);
    const first = Math.min(block, n);
    // The largest step is the first block's product, rows × first × (n − first) multiply-adds.
    const pool = await workers(rt, Math.floor((rows * first * n) / FLOPS_PER_UNIT));
    const threads = pool ? pool.size : 1;
    const scratchBytes = Math.max(x.gemmScratchBytes(), x.obsScratchBytes(first, m));
    const [pw, pb, pu, pm, pe, pl, packed, ...scratch] = rt.kernels.layout([
      rows * n * 4,
      rows * first * 4,
      first * first * 8,
      rows * first,
      rows * first * 4,
      first * n * 4,
      x.gemmPackedBytes(first, n),
      ...Array.from({ length: threads }, () => scratchBytes),
    ]) as [number, number, number, number, number, number, number, ...number[]];
    rt.kernels.f32(pw, rows * n).set(w.subarray(0, rows * n));
    const mask = new Uint8Array(rows * n);
    const blocks = Math.ceil(n / block);
    // Progress is per block, not per task of the steps inside one.
    const inner: KernelContext = { signal: ctx.signal };
    for (let i1 = 0; i1 < n; i1 += block) {
      throwIfAborted(ctx.signal);
      const i2 = Math.min(n, i1 + block);
      const width = i2 - i1;
      blockColumns(rt.kernels.f32(pw, rows * n), rows, n, i1, i2, rt.kernels.f32(pb, rows * width));
      blockCorner(u, n, i1, i2, rt.kernels.f64(pu, width * width));
      const sweepUnits = Math.floor((rows * width * width) / 4 / FLOPS_PER_UNIT);
      const perTask = Math.max(1, Math.ceil(rows / (threads * 4)));
      await overRows(rt, 'obsBlockRows', rows, perTask, sweepUnits, scratch, inner, (start, end, sc) => [
        pb, width, pu, keep, m, start, end, pm, pe, sc,
      ]);
      setBlockColumns(rt.kernels.f32(pw, rows * n), rt.kernels.f32(pb, rows * width), rows, n, i1, i2);
      setBlockColumns(mask, rt.kernels.u8(pm, rows * width), rows, n, i1, i2);
      if (i2 < n) {
        const rest = n - i2;
        lazyOperand(u, n, i1, i2, rt.kernels.f32(pl, width * rest));
        x.gemmPackB(pl, rest, 0, width, rest, packed);
        const productUnits = Math.floor((rows * width * rest) / FLOPS_PER_UNIT);
        await overRows(rt, 'gemmRows', rows, rowTask(rows, threads), productUnits, scratch, inner, (start, end, sc) => [
          pe, width, 0, packed, width, rest, pw + i2 * 4, n, -1, 1, 0, 0, start, end, sc,
        ]);
      }
      ctx.onProgress?.({ done: i1 / block + 1, total: blocks });
    }
    return { weights: rt.kernels.f32(pw, rows * n).slice(), mask };
  });
}

registerKernel('gemm', 'wasm', ({ a, b, c, shape }, ctx) => gemm(a, b, c, shape, ctx));
registerKernel('gram', 'wasm', ({ x, rows, cols, featuresBySamples }, ctx) => gram(x, rows, cols, featuresBySamples, ctx));
registerKernel('cholesky', 'wasm', ({ a, n, minPivot }, ctx) => cholesky(a, n, minPivot, ctx));
registerKernel('triangularInverse', 'wasm', ({ l, n }, ctx) => triangularInverseLower(l, n, ctx));
registerKernel('spdInverse', 'wasm', ({ a, n, minPivot }, ctx) => spdInverse(a, n, minPivot, ctx));
registerKernel('obsBlock', 'wasm', ({ w, rows, width, u, n, m }, ctx) => obsBlock(w, rows, width, u, n, m, ctx));
registerKernel('obsSweep', 'wasm', ({ w, rows, cols, u, n, m, block }, ctx) => obsSweep(w, rows, cols, u, n, m, block, ctx));
registerKernel('refitRows', 'wasm', ({ h, n, mask, rhs, ridge, rows }, ctx) => refitRows(h, n, mask, rhs, ridge, rows, ctx));
