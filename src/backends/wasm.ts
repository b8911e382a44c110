import { NmsparseError } from '../errors.js';
import type { Fill } from '../matrix.js';
import {
  registerBackend,
  runChunked,
  type Availability,
  type Backend,
  type ExactSolution,
  type KernelContext,
  type TileBatch,
  type TsenorOptions,
} from './backend.js';
import { Kernels, loadWasmModule, newMemory, type KernelName, type WasmModule } from './wasmModule.js';
import { WorkerPool, type PoolTask } from './workerPool.js';

/** How the wasm backend spreads work (Node only; elsewhere everything runs inline). */
export interface WasmSettings {
  /**
   * Worker threads (default: env NMSPARSE_THREADS, else the available cores). 1 runs everything on
   * the calling thread.
   */
  threads: number;
  /** Batches with fewer work units (tiles, or rows·cols/256 for standard masks) run inline. */
  minParallelUnits: number;
}

const settings: WasmSettings = { threads: 1, minParallelUnits: 4096 };
let threadsChosen = false;

/** NMSPARSE_THREADS, else the cores Node may use (the pool exists only under Node). */
async function defaultThreads(): Promise<number> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const fromEnv = Number(env?.NMSPARSE_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return fromEnv;
  const os = await import('node:os');
  return Math.max(1, os.availableParallelism());
}

/**
 * Changes how the wasm backend parallelises (results never depend on it). Returns the settings now
 * in force. A running pool of another size is closed.
 */
export async function configureWasm(changes: Partial<WasmSettings>): Promise<WasmSettings> {
  const { threads, minParallelUnits } = changes;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new NmsparseError('E_OPTION', `threads must be an integer from 1 to 256, got ${JSON.stringify(threads)}`);
  }
  if (minParallelUnits !== undefined && !(Number.isInteger(minParallelUnits) && minParallelUnits >= 0)) {
    throw new NmsparseError(
      'E_OPTION',
      `minParallelUnits must be a non-negative integer, got ${JSON.stringify(minParallelUnits)}`,
    );
  }
  await exclusive(async () => {
    if (threads !== undefined) threadsChosen = true;
    if (threads !== undefined && threads !== settings.threads) {
      settings.threads = threads;
      const old = pool;
      pool = undefined;
      if (old) await (await old).close();
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

function getRuntime(): Promise<Runtime> {
  runtime ??= loadWasmModule().then(async (wasm) => {
    if (wasm.shared && !threadsChosen) settings.threads = await defaultThreads();
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

/** Tiles (or rows) per task: enough tasks for balance and progress, few enough to keep overhead low. */
function taskSize(total: number, threads: number): number {
  return Math.max(1, Math.ceil(total / (threads * 16)));
}

/**
 * Runs `fn` over [0, total) in pieces, on the pool when the batch is large enough, else inline with
 * progress and abort checks between pieces. `args(start, end, slot)` builds the export's arguments;
 * `slot` picks the caller's scratch block (one per worker).
 */
async function runKernel(
  rt: Runtime,
  fn: KernelName,
  total: number,
  units: number,
  ctx: KernelContext,
  args: (start: number, end: number, slot: number) => number[],
): Promise<void> {
  const pending = workers(rt, units);
  if (pending) {
    const p = await pending;
    const size = taskSize(total, p.size);
    const tasks: PoolTask[] = [];
    for (let start = 0; start < total; start += size) {
      const end = Math.min(total, start + size);
      tasks.push({ size: end - start, args: (slot) => args(start, end, slot) });
    }
    await p.run(fn, tasks, total, ctx);
    return;
  }
  const call = rt.kernels.exports[fn] as (...a: number[]) => void;
  await runChunked(total, taskSize(total, 4), ctx, (start, end) => call(...args(start, end, 0)));
}

/** Scratch slots: one per worker that may run (or one inline). */
function slots(rt: Runtime, units: number): number {
  return workers(rt, units) ? settings.threads : 1;
}

async function exact(batch: TileBatch, n: number, fill: Fill, ctx: KernelContext): Promise<ExactSolution> {
  const rt = await getRuntime();
  const { count, m } = batch;
  const k = rt.kernels;
  const scratch = k.exports.exactScratchBytes(m);
  const nSlots = slots(rt, count);
  const [tiles, mask, u, v, bounds, work] = k.layout([
    count * m * m * 4,
    count * m * m,
    count * m * 8,
    count * m * 8,
    count * 8,
    scratch * nSlots,
  ]) as [number, number, number, number, number, number];
  k.f32(tiles, count * m * m).set(batch.tiles);
  const atMost = fill === 'atMost' ? 1 : 0;
  await runKernel(rt, 'exactTiles', count, count, ctx, (start, end, slot) => [
    tiles,
    m,
    n,
    atMost,
    start,
    end,
    mask,
    u,
    v,
    bounds,
    work + slot * scratch,
  ]);
  let upperBound = 0;
  for (const b of k.f64(bounds, count)) upperBound += b;
  return {
    mask: k.u8(mask, count * m * m).slice(),
    u: k.f64(u, count * m).slice(),
    v: k.f64(v, count * m).slice(),
    upperBound,
  };
}

async function greedy(batch: TileBatch, n: number, fill: Fill, ctx: KernelContext): Promise<Uint8Array> {
  const rt = await getRuntime();
  const { count, m } = batch;
  const k = rt.kernels;
  const scratch = k.exports.greedyScratchBytes(m);
  const [tiles, mask, work] = k.layout([count * m * m * 4, count * m * m, scratch * slots(rt, count)]) as [
    number,
    number,
    number,
  ];
  k.f32(tiles, count * m * m).set(batch.tiles);
  const atMost = fill === 'atMost' ? 1 : 0;
  await runKernel(rt, 'greedyTiles', count, count, ctx, (start, end, slot) => [
    tiles,
    m,
    n,
    atMost,
    start,
    end,
    mask,
    work + slot * scratch,
  ]);
  return k.u8(mask, count * m * m).slice();
}

async function tsenor(
  batch: TileBatch,
  n: number,
  fill: Fill,
  options: TsenorOptions,
  ctx: KernelContext,
): Promise<Uint8Array> {
  const rt = await getRuntime();
  const { count, m } = batch;
  const k = rt.kernels;
  const scratch = k.exports.tsenorScratchBytes(m);
  const [tiles, mask, work] = k.layout([count * m * m * 4, count * m * m, scratch * slots(rt, count)]) as [
    number,
    number,
    number,
  ];
  k.f32(tiles, count * m * m).set(batch.tiles);
  const atMost = fill === 'atMost' ? 1 : 0;
  const { tau, iterations, stages, localSearchSteps } = options;
  // Tasks start on multiples of 4 tiles: the kernel solves four tiles at once, one per SIMD lane.
  await runKernel(rt, 'tsenorTiles', Math.ceil(count / 4), count, ctx, (start, end, slot) => [
    tiles,
    m,
    n,
    atMost,
    tau,
    iterations,
    stages,
    localSearchSteps,
    4 * start,
    Math.min(count, 4 * end),
    mask,
    work + slot * scratch,
  ]);
  return k.u8(mask, count * m * m).slice();
}

async function standard(
  scores: { rows: number; cols: number; data: Float32Array },
  n: number,
  m: number,
  ctx: KernelContext,
): Promise<Uint8Array> {
  const rt = await getRuntime();
  const { rows, cols } = scores;
  const k = rt.kernels;
  const [data, out] = k.layout([rows * cols * 4, rows * cols]) as [number, number];
  k.f32(data, rows * cols).set(scores.data);
  const units = Math.floor((rows * cols) / 256);
  await runKernel(rt, 'standardRows', rows, units, ctx, (start, end) => [data, cols, n, m, start, end, out]);
  return k.u8(out, rows * cols).slice();
}

/** Groups of 4 per work unit when deciding whether a prox call is worth the pool. */
const PROX_GROUPS_PER_UNIT = 16;

async function prox24(z: Float32Array, lambda: number, ctx: KernelContext): Promise<Float32Array> {
  const rt = await getRuntime();
  const groups = z.length / 4;
  const k = rt.kernels;
  const scratch = k.exports.prox24ScratchBytes();
  const units = Math.floor(groups / PROX_GROUPS_PER_UNIT);
  const [input, out, work] = k.layout([z.length * 4, z.length * 4, scratch * slots(rt, units)]) as [
    number,
    number,
    number,
  ];
  k.f32(input, z.length).set(z);
  await runKernel(rt, 'prox24Groups', groups, units, ctx, (start, end, slot) => [
    input,
    lambda,
    start,
    end,
    out,
    work + slot * scratch,
  ]);
  return k.f32(out, z.length).slice();
}

let probe: Promise<Availability> | undefined;

/** WebAssembly SIMD kernels (AssemblyScript), on a worker-thread pool under Node. */
export const wasmBackend: Backend = {
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
  standard: (scores, n, m, ctx) => exclusive(() => standard(scores, n, m, ctx)),
  exact: (batch, n, fill, ctx) => exclusive(() => exact(batch, n, fill, ctx)),
  greedy: (batch, n, fill, ctx) => exclusive(() => greedy(batch, n, fill, ctx)),
  tsenor: (batch, n, fill, options, ctx) => exclusive(() => tsenor(batch, n, fill, options, ctx)),
  prox24: (z, lambda, ctx) => exclusive(() => prox24(z, lambda, ctx)),
};

registerBackend(wasmBackend);
