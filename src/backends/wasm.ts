import { optionsObject, rejectUnknownKeys } from '../core/callOptions.js';
import { NmsparseError } from '../core/errors.js';
import { f64Buffers } from '../core/reusable.js';
import { describeValue } from '../core/matrix.js';
import { registerBackend, registerKernel, type Availability, type KernelSignatures } from './registry.js';
import { Kernels, loadWasmModule, newMemory, type KernelName, type WasmModule } from './wasmModule.js';
import { KERNEL_BUFFERS, METHOD_IDS, NO_SETTINGS, type KernelBuffers, type KernelSettings } from './wasmAbi.js';
import { WorkerPool, defaultThreads, type PoolTask } from './workerPool.js';
import { setWasmSource, type WasmSource } from './wasmSource.js';
import type { Fill, ExactSolution, KernelContext, MatrixMaskSolution, StandardSolution } from '../core/types.js';
import { runChunked } from '../core/chunks.js';

/** How the wasm backend spreads work (over worker threads where the runtime has them: Node). */
export interface WasmSettings {
  /**
   * Worker threads (default: env NMSPARSE_THREADS, else the available cores). 1 runs everything on
   * the calling thread.
   */
  threads: number;
  /** Batches with fewer work units (tiles, or rows·cols/256 for standard masks) run inline. */
  minParallelUnits: number;
}

/**
 * What configureWasm accepts: the settings, at most one source of the mask kernels' module, and
 * `linalg`, a source of the pruners' linear algebra module (wasmSource.ts).
 */
export type WasmOptions = Partial<WasmSettings> & WasmSource & { linalg?: WasmSource };

const settings: WasmSettings = { threads: 1, minParallelUnits: 4096 };
let threadsChosen = false;

/** The one source in `changes`, validated; undefined when none is given. */
function sourceOf(changes: WasmSource, what = 'configureWasm'): WasmSource | undefined {
  const given = (['module', 'bytes', 'url'] as const).filter((key) => changes[key] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length > 1) {
    throw new NmsparseError('E_OPTION', `${what} takes one of module, bytes, url; got ${given.join(' and ')}`);
  }
  const { module, bytes, url } = changes;
  if (module !== undefined && !(module instanceof WebAssembly.Module)) {
    throw new NmsparseError('E_OPTION', `module must be a WebAssembly.Module, got ${describeValue(module)}`);
  }
  if (bytes !== undefined && !(bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes))) {
    throw new NmsparseError('E_OPTION', `bytes must be an ArrayBuffer or a typed array, got ${describeValue(bytes)}`);
  }
  if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) {
    throw new NmsparseError('E_OPTION', `url must be a string or a URL, got ${describeValue(url)}`);
  }
  return { module, bytes, url };
}

/**
 * Changes how the wasm backend parallelises (results never depend on it) and, with one of `module`,
 * `bytes` or `url`, which WebAssembly module it runs (for bundles and runtimes where the package
 * cannot find its own .wasm; docs/runtimes.md); `linalg` does the same for the pruners' module. Returns the settings now in force. A running pool
 * of another size is closed; a new module is compiled on the next call.
 */
export async function configureWasm(changes: WasmOptions): Promise<WasmSettings> {
  const fields = optionsObject(changes, 'configureWasm');
  rejectUnknownKeys(fields, ['threads', 'minParallelUnits', 'module', 'bytes', 'url', 'linalg'], 'configureWasm');
  const { threads, minParallelUnits } = changes;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new NmsparseError('E_OPTION', `threads must be an integer from 1 to 256, got ${describeValue(threads)}`);
  }
  if (minParallelUnits !== undefined && !(Number.isInteger(minParallelUnits) && minParallelUnits >= 0)) {
    throw new NmsparseError(
      'E_OPTION',
      `minParallelUnits must be a non-negative integer, got ${describeValue(minParallelUnits)}`,
    );
  }
  const source = sourceOf(changes);
  let linalg: WasmSource | undefined;
  if (changes.linalg !== undefined) {
    const fields = optionsObject(changes.linalg, 'configureWasm linalg');
    rejectUnknownKeys(fields, ['module', 'bytes', 'url'], 'configureWasm linalg');
    linalg = sourceOf(changes.linalg, 'configureWasm linalg');
    if (!linalg) throw new NmsparseError('E_OPTION', 'configureWasm linalg takes one of module, bytes, url');
  }
  await exclusive(async () => {
    if (threads !== undefined) threadsChosen = true;
    if (source || (threads !== undefined && threads !== settings.threads)) {
      if (threads !== undefined) settings.threads = threads;
      const old = pool;
      pool = undefined;
      if (old) await (await old.catch(() => undefined))?.close();
    }
    // The linear algebra runtime (wasmLinalg.ts) remakes itself when its module's source changes.
    if (linalg) setWasmSource('nmsparse-linalg', linalg);
    if (source) {
      setWasmSource('nmsparse', source);
      runtime = undefined;
      probe = undefined;
    }
    if (minParallelUnits !== undefined) settings.minParallelUnits = minParallelUnits;
  });
  return { ...settings };
}

interface Runtime {
  wasm: WasmModule;
  kernels: Kernels;
}

let runtime: Promise<Runtime> | undefined;
let pool: Promise<WorkerPool> | undefined;
let probe: Promise<Availability> | undefined;

function getRuntime(): Promise<Runtime> {
  runtime ??= loadWasmModule().then((wasm) => {
    if (wasm.shared && !threadsChosen) settings.threads = defaultThreads();
    return { wasm, kernels: new Kernels(wasm, newMemory(wasm)) };
  });
  return runtime;
}

/** Calls share one linear memory, so they take turns. */
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work);
  queue = run.catch(() => undefined);
  return run;
}

function workers(rt: Runtime, units: number): Promise<WorkerPool> | undefined {
  if (!rt.wasm.shared || settings.threads < 2 || units < settings.minParallelUnits) return undefined;
  pool ??= WorkerPool.create(settings.threads, rt.wasm, rt.kernels.memory);
  return pool;
}

/**
 * Compiles the kernels and, where worker threads can run, starts the pool now, so that the first
 * large call does not wait for either (the CLI starts this before it reads its input). Resolves to
 * the settings in force; a failure here is left for the first call to report.
 */
export async function warmUpWasm(): Promise<WasmSettings> {
  await exclusive(async () => {
    const rt = await getRuntime();
    await workers(rt, settings.minParallelUnits);
  }).catch(() => undefined);
  return { ...settings };
}

/** Tasks a worker holds at once when a batch streams through linear memory (WorkerPool.run). */
const POOL_DEPTH = 2;

/** Work units per task: enough tasks for balance and progress, few enough to keep overhead low. */
function taskSize(total: number, threads: number): number {
  return Math.max(1, Math.ceil(total / (threads * 16)));
}

/**
 * Work units (the pool decision's measure) below which an inline batch is not cut into chunks: each
 * chunk ends with a trip through the event loop, which costs more than such a chunk's work (a small
 * standard mask of SparseGPT's slabs took 64 trips and ~1 ms instead of ~0.1 ms).
 */
const MIN_INLINE_CHUNK_UNITS = 32;

/** Pieces of an inline batch: as for the pool, but none smaller than MIN_INLINE_CHUNK_UNITS units. */
function inlineChunkSize(total: number, units: number): number {
  const least = units > 0 ? Math.ceil((total * MIN_INLINE_CHUNK_UNITS) / units) : total;
  return Math.min(total, Math.max(taskSize(total, 4), least));
}

type Elements = Float32Array | Float64Array | Uint8Array;

/** A kernel's buffers: each array streams through linear memory, `perUnit` elements per work unit. */
type Buffers<K extends KernelName> = {
  [B in keyof KernelBuffers[K]]: { array: KernelBuffers[K][B] & Elements; perUnit: number };
};

/** A view of the same element type on linear memory. */
function view(k: Kernels, like: Elements, offset: number, length: number): Elements {
  if (like instanceof Float32Array) return k.f32(offset, length);
  if (like instanceof Float64Array) return k.f64(offset, length);
  return k.u8(offset, length);
}

/** How a call divides: `total` units, `units` of work for the pool decision, pieces of `granule`. */
interface Work {
  total: number;
  units: number;
  granule: number;
}

/**
 * Runs kernel `kernel` with `settings` over [0, total) work units, streaming: each piece's inputs
 * are copied into a per-slot block of linear memory just before it runs, its outputs copied out as
 * soon as it is done, so linear memory holds a few pieces, never the whole batch (it never shrinks
 * once grown). The settings block and every slot (buffers in the ABI's order, then the kernel's
 * scratch) are laid out, and anything too large refused, before the first piece runs. Pieces run on
 * the pool when the batch is large enough (`units` ≥ minParallelUnits), else inline with progress
 * and abort checks between them. Piece sizes are multiples of `granule` units.
 */
async function stream<K extends KernelName>(
  rt: Runtime,
  kernel: K,
  settings: KernelSettings,
  work: Work,
  buffers: Buffers<K>,
  ctx: KernelContext,
): Promise<void> {
  const { total, units, granule } = work;
  const pending = workers(rt, units);
  const p = pending ? await pending : undefined;
  const size = Math.ceil((p ? taskSize(total, p.size) : inlineChunkSize(total, units)) / granule) * granule;
  const k = rt.kernels;
  const settingsAt = k.writeSettings(settings);
  const scratchBytes = k.exports[`${kernel}ScratchBytes` as const](settingsAt);
  const parts = KERNEL_BUFFERS[kernel].map(({ name, output }) => {
    const { array, perUnit } = buffers[name] as { array: Elements; perUnit: number };
    return { array, perUnit, output };
  });
  const perSlot = [...parts.map((part) => size * part.perUnit * part.array.BYTES_PER_ELEMENT), scratchBytes];
  // Two slots per worker: one task runs while the calling thread unloads and refills the other.
  const slots = p ? p.size * POOL_DEPTH : 1;
  const offsets = k.layout(Array.from({ length: slots }, () => perSlot).flat());
  const at = (slot: number, i: number): number => offsets[slot * perSlot.length + i];
  const load = (slot: number, start: number, end: number): number[] => {
    parts.forEach((part, i) => {
      if (part.output) return;
      const from = part.array.subarray(start * part.perUnit, end * part.perUnit);
      view(k, part.array, at(slot, i), from.length).set(from);
    });
    return [settingsAt, 0, end - start, ...parts.map((_, i) => at(slot, i)), at(slot, parts.length)];
  };
  const unload = (slot: number, start: number, end: number): void => {
    parts.forEach((part, i) => {
      if (!part.output) return;
      const length = (end - start) * part.perUnit;
      part.array.set(view(k, part.array, at(slot, i), length), start * part.perUnit);
    });
  };
  if (p) {
    const tasks: PoolTask[] = [];
    for (let start = 0; start < total; start += size) {
      const end = Math.min(total, start + size);
      tasks.push({
        size: end - start,
        args: (slot) => load(slot, start, end),
        finish: (slot) => unload(slot, start, end),
      });
    }
    await p.run(kernel, tasks, total, ctx, POOL_DEPTH);
    return;
  }
  const call = k.exports[kernel] as (...a: number[]) => void;
  await runChunked(total, size, ctx, (start, end) => {
    call(...load(0, start, end));
    unload(0, start, end);
  });
}

type Args<K extends keyof KernelSignatures> = Parameters<KernelSignatures[K]>[0];

/**
 * x[0] + x[1] + … left to right (the order the other backends sum in). An indexed loop: for-of over a
 * typed array took 6–25 ms for the 1M tile bounds of a 4096² 2:4 call, this 1–4 ms.
 */
function sumInOrder(x: Float64Array): number {
  let total = 0;
  for (let k = 0; k < x.length; k++) total += x[k] as number;
  return total;
}

/** The settings every transposable tile kernel reads. */
function tileSettings(m: number, n: number, fill: Fill): KernelSettings {
  return { ...NO_SETTINGS, m, n, atMost: fill === 'atMost' ? 1 : 0 };
}

async function exact({ batch, n, fill }: Args<'exactTiles'>, ctx: KernelContext): Promise<ExactSolution> {
  const rt = await getRuntime();
  const { count, m, tiles } = batch;
  const mask = new Uint8Array(count * m * m);
  const u = new Float64Array(count * m);
  const v = new Float64Array(count * m);
  const bounds = new Float64Array(count);
  await stream(
    rt,
    'exactTiles',
    tileSettings(m, n, fill),
    { total: count, units: count, granule: 1 },
    {
      tiles: { array: tiles, perUnit: m * m },
      mask: { array: mask, perUnit: m * m },
      u: { array: u, perUnit: m },
      v: { array: v, perUnit: m },
      bounds: { array: bounds, perUnit: 1 },
    },
    ctx,
  );
  return { mask, u, v, upperBound: sumInOrder(bounds) };
}

async function greedy({ batch, n, fill }: Args<'greedyTiles'>, ctx: KernelContext): Promise<Uint8Array> {
  const rt = await getRuntime();
  const { count, m, tiles } = batch;
  const mask = new Uint8Array(count * m * m);
  await stream(
    rt,
    'greedyTiles',
    tileSettings(m, n, fill),
    { total: count, units: count, granule: 1 },
    { tiles: { array: tiles, perUnit: m * m }, mask: { array: mask, perUnit: m * m } },
    ctx,
  );
  return mask;
}

async function tsenor({ batch, n, fill, options }: Args<'tsenorTiles'>, ctx: KernelContext): Promise<Uint8Array> {
  const rt = await getRuntime();
  const { count, m, tiles } = batch;
  const mask = new Uint8Array(count * m * m);
  // Pieces are multiples of 4 tiles: the kernel solves four tiles at once, one per SIMD lane.
  await stream(
    rt,
    'tsenorTiles',
    { ...tileSettings(m, n, fill), ...options },
    { total: count, units: count, granule: 4 },
    { tiles: { array: tiles, perUnit: m * m }, mask: { array: mask, perUnit: m * m } },
    ctx,
  );
  return mask;
}

async function standard({ scores, n, m, out }: Args<'standardMask'>, ctx: KernelContext): Promise<StandardSolution> {
  const rt = await getRuntime();
  const { rows, cols } = scores;
  const mask = out ?? new Uint8Array(rows * cols);
  const objectives = new Float64Array(rows);
  await stream(
    rt,
    'standardRows',
    { ...NO_SETTINGS, m, n, cols },
    { total: rows, units: Math.floor((rows * cols) / 256), granule: 1 },
    { scores: { array: scores.data, perUnit: cols }, mask: { array: mask, perUnit: cols }, objectives: { array: objectives, perUnit: 1 } },
    ctx,
  );
  // The rows' sums in row order: core/matrix.ts rowwiseMaskedSum's order, so every backend agrees.
  return { mask, objective: sumInOrder(objectives) };
}

/**
 * A transposable mask straight from the row-major matrix: bands of M rows stream into linear memory
 * and are tiled, solved and untiled there (on the pool for large batches).
 */
async function transposableMatrix(
  { scores, n, m, method, fill, tsenor: options, out }: Args<'transposableMatrix'>,
  ctx: KernelContext,
): Promise<MatrixMaskSolution> {
  const rt = await getRuntime();
  const { rows, cols, data } = scores;
  const bands = rows / m;
  const tilesPerBand = cols / m;
  const mask = out ?? new Uint8Array(rows * cols);
  const objectives = new Float64Array(bands);
  // The per-tile bounds are summed here and dropped: a reused buffer, not fresh pages every call.
  const bounds = f64Buffers.borrow(method === 'exact' ? bands * tilesPerBand : 0);
  try {
    await stream(
      rt,
      'bandTiles',
      { ...tileSettings(m, n, fill), ...options, method: METHOD_IDS[method], cols },
      { total: bands, units: bands * tilesPerBand, granule: 1 },
      {
        scores: { array: data, perUnit: m * cols },
        mask: { array: mask, perUnit: m * cols },
        objectives: { array: objectives, perUnit: 1 },
        bounds: { array: bounds.data, perUnit: bounds.data.length / bands },
      },
      // Progress in tiles, as the tile kernels report it.
      {
        signal: ctx.signal,
        onProgress: ctx.onProgress && ((p) => ctx.onProgress?.({ done: p.done * tilesPerBand, total: p.total * tilesPerBand })),
      },
    );
    const objective = sumInOrder(objectives);
    if (method !== 'exact') return { mask, objective };
    return { mask, objective, upperBound: sumInOrder(bounds.data) };
  } finally {
    bounds.release();
  }
}

/** Groups of 4 per work unit when deciding whether a prox call is worth the pool. */
const PROX_GROUPS_PER_UNIT = 16;

async function prox24({ z, lambda, out = new Float32Array(z.length) }: Args<'prox24'>, ctx: KernelContext): Promise<Float32Array> {
  const rt = await getRuntime();
  const groups = z.length / 4;
  await stream(
    rt,
    'prox24Groups',
    { ...NO_SETTINGS, lambda },
    { total: groups, units: Math.floor(groups / PROX_GROUPS_PER_UNIT), granule: 1 },
    { z: { array: z, perUnit: 4 }, out: { array: out, perUnit: 4 } },
    ctx,
  );
  return out;
}

/** WebAssembly SIMD kernels (AssemblyScript), on a worker pool where the runtime has one (Node). */
registerBackend({
  name: 'wasm',
  available() {
    probe ??= getRuntime().then(
      (rt) => ({
        available: true,
        reason: rt.wasm.shared
          ? `WebAssembly SIMD, ${settings.threads} worker thread(s) for large batches`
          : 'WebAssembly SIMD, single thread',
      }),
      (e: Error) => ({ available: false, reason: e.message }),
    );
    return probe;
  },
});

// Calls share one linear memory, so each kernel takes its turn.
registerKernel('standardMask', 'wasm', (args, ctx) => exclusive(() => standard(args, ctx)));
registerKernel('exactTiles', 'wasm', (args, ctx) => exclusive(() => exact(args, ctx)));
registerKernel('greedyTiles', 'wasm', (args, ctx) => exclusive(() => greedy(args, ctx)));
registerKernel('tsenorTiles', 'wasm', (args, ctx) => exclusive(() => tsenor(args, ctx)));
registerKernel('transposableMatrix', 'wasm', (args, ctx) => exclusive(() => transposableMatrix(args, ctx)));
registerKernel('prox24', 'wasm', (args, ctx) => exclusive(() => prox24(args, ctx)));

/**
 * The parallelism settings in force, after the default thread count is chosen (when the module first
 * loads); the linear algebra module (wasmLinalg.ts) sizes its own pool by them.
 */
export async function wasmParallelism(): Promise<WasmSettings> {
  await getRuntime();
  return { ...settings };
}
