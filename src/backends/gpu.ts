import { optionsObject, rejectUnknownKeys } from '../core/callOptions.js';
import { NmsparseError } from '../core/errors.js';
import { standardRows } from '../reference/standard.js';
import { countTile, localSearchTile, repairTile, tileState } from '../reference/localSearch.js';
import { normalise, stageTaus } from '../reference/tsenor.js';
import { registerBackend, registerKernel, type Availability } from './registry.js';
import { registerTiledTransposable } from './tiled.js';
import { GpuEngine, type DykstraStage } from './gpu/engine.js';
import { KEPT } from './gpu/kernels.js';
import { gpuRuntimeMissing, startGpuRuntime, stopGpuRuntime } from './gpu/runtime.js';
import type { Fill, KernelContext, TileBatch, TsenorOptions } from '../core/types.js';
import { runChunked } from '../core/chunks.js';
import { describeValue, rowwiseMaskedSum } from '../core/matrix.js';

/** Values per GPU launch (default): bounds device memory per plan and the time between progress reports. */
const DEFAULT_ENTRIES_PER_LAUNCH = 1 << 20;
let entriesPerLaunch = DEFAULT_ENTRIES_PER_LAUNCH;
/** gpu.js dispatches the tile (or group) axis directly; WebGPU allows 65535 workgroups per dimension. */
const MAX_TILES_PER_LAUNCH = 65535;
const MAX_GROUPS_PER_LAUNCH = 65535;
/** The device is destroyed after this long without GPU work (Dawn keeps Node alive and polls). */
export const GPU_IDLE_RELEASE_MS = 200;
/**
 * `auto` picks the gpu backend only on a hardware adapter and from this many score entries on
 * (a 2048×2048 matrix). Provisional: not yet measured on a hardware GPU (bench/gpu.sh measures it).
 */
export const GPU_AUTO_MIN_ENTRIES = 1 << 22;

let engine: Promise<GpuEngine> | null = null;
let busy = 0;
let idleTimer: ReturnType<typeof setTimeout> | null = null;
/** The last release; a new start waits for it, so that it never gets a runtime being destroyed. */
let releasing: Promise<void> = Promise.resolve();

function release(): Promise<void> {
  const current = engine;
  engine = null;
  releasing = (async () => {
    if (current) await (await current.catch(() => null))?.dispose();
    await stopGpuRuntime();
  })();
  return releasing;
}

/** Runs GPU work on the shared engine and schedules the device's release once nothing is running. */
async function withEngine<T>(work: (e: GpuEngine) => Promise<T>): Promise<T> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  busy++;
  try {
    const starting = (engine ??= releasing.then(startGpuRuntime).then((runtime) => new GpuEngine(runtime)));
    const e = await starting.catch((error: unknown) => {
      if (engine === starting) engine = null;
      throw error;
    });
    return await work(e);
  } finally {
    if (--busy === 0) {
      idleTimer = setTimeout(() => {
        idleTimer = null;
        if (busy === 0) void release();
      }, GPU_IDLE_RELEASE_MS);
    }
  }
}

/** Tiles per launch for m×m tiles: every launch of a call has this size (the last is zero-padded). */
function tilesPerLaunch(count: number, m: number): number {
  return Math.min(count, MAX_TILES_PER_LAUNCH, Math.max(1, Math.floor(entriesPerLaunch / (m * m))));
}

/** `length` values of `source` from `start`, zero-padded to `size`. */
function padded(source: Float32Array, start: number, length: number, size: number): Float32Array {
  const out = new Float32Array(size);
  out.set(source.subarray(start, start + length));
  return out;
}

/** Greedy by `priority` on the GPU for tiles [start, start+count), written as 0/1 into `out`. */
async function greedyOnGpu(
  e: GpuEngine,
  batch: TileBatch,
  priority: Float32Array,
  start: number,
  count: number,
  launch: number,
  n: number,
  fill: Fill,
  out: Uint8Array,
): Promise<void> {
  const size = batch.m * batch.m;
  const scores = padded(batch.tiles, start * size, count * size, launch * size);
  const status = await e.greedy(priority, scores, launch, n, batch.m, fill === 'atMost');
  for (let k = 0; k < count * size; k++) out[start * size + k] = status[k] === KEPT ? 1 : 0;
}

/**
 * log S after the first row shift, per tile, as the reference TSENOR starts it: τ₁·(a − row max)
 * of the normalised scores a; a tile with nothing to choose gets a uniform 0 (its greedy order is
 * then the row-major order, as in the reference).
 */
function initialLogS(batch: TileBatch, fill: Fill, tau: number, start: number, count: number, launch: number): Float32Array {
  const m = batch.m;
  const size = m * m;
  const a = new Float64Array(size);
  const out = new Float32Array(launch * size);
  for (let t = 0; t < count; t++) {
    if (!normalise(batch.tiles, (start + t) * size, size, fill, a)) continue;
    for (let i = 0; i < m; i++) {
      let rowMax = 0;
      for (let j = 0; j < m; j++) rowMax = Math.max(rowMax, a[i * m + j]);
      for (let j = 0; j < m; j++) out[t * size + i * m + j] = Math.max(-1e30, tau * ((a[i * m + j]) - rowMax));
    }
  }
  return out;
}

/** The reference's τ schedule as GPU stages: the iterations split evenly, S and Q raised between stages. */
function dykstraStages(options: TsenorOptions): DykstraStage[] {
  const taus = stageTaus(options.tau, options.stages);
  const stages: DykstraStage[] = [];
  let done = 0;
  taus.forEach((tau, k) => {
    const until = Math.round((options.iterations * (k + 1)) / taus.length);
    stages.push({ factor: k === 0 ? 1 : tau / (taus[k - 1]), iterations: until - done });
    done = until;
  });
  return stages;
}

let availability: Promise<Availability> | null = null;

/** Starts the GPU and checks one standard mask against the reference, so that "available" means it ran. */
async function probe(): Promise<Availability> {
  try {
    const values = Float32Array.from([0.5, -2, 0.5, 3, 1, 1, 1, 1]);
    const want = standardRows(values, 2, 4, 2, 4);
    const { adapter, software } = await withEngine(async (e) => {
      const got = await e.standard(values, 2, 2, 4);
      if (!got.every((x, k) => x === want[k])) throw new Error('the probe kernel gave a wrong standard mask');
      return { adapter: e.adapter, software: e.software };
    });
    const kind = software ? 'a software GPU (CPU rasteriser: correct, not fast)' : 'a hardware GPU';
    return {
      available: true,
      reason: `gpu.js WebGPU kernels on ${adapter}, ${kind}; exact and prox24 fall back to the CPU (wasm, else reference)`,
    };
  } catch (e) {
    return { available: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether the adapter is a hardware GPU (false for CPU rasterisers such as llvmpipe, or no GPU). */
export async function gpuIsHardware(): Promise<boolean> {
  if (!(await gpuAvailable()).available) return false;
  return withEngine(async (e) => !e.software);
}

// A variable specifier keeps bundlers from resolving node:fs for browser builds.
const NODE_FS = 'node:fs';

/**
 * Whether this machine could have a hardware GPU at all, decided without starting a GPU runtime (which
 * costs ~0.3 s and prints driver warnings). Under Node on Linux a hardware adapter needs a kernel device
 * node (a DRM render node, NVIDIA's or WSL's); elsewhere the answer is "maybe", and the probe decides.
 */
async function hardwareGpuPossible(): Promise<boolean> {
  const proc = (globalThis as { process?: { versions?: { node?: string }; platform?: string } }).process;
  if (!proc?.versions?.node || proc.platform !== 'linux') return true;
  try {
    const fs = (await import(NODE_FS)) as typeof import('node:fs');
    const render = fs.existsSync('/dev/dri') && fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
    return render || fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/dxg');
  } catch {
    return true;
  }
}

/**
 * The `auto` rule: gpu only for at least GPU_AUTO_MIN_ENTRIES score entries and on a hardware adapter;
 * a small job, or a machine without a GPU device node, is answered without opening a device.
 */
export async function gpuPreferred(entries: number): Promise<boolean> {
  return entries >= GPU_AUTO_MIN_ENTRIES && (await hardwareGpuPossible()) && (await gpuIsHardware());
}

export interface GpuSettings {
  /** Score values per GPU launch (default 2^20): larger launches amortise better, smaller ones report progress and honour an abort sooner. */
  entriesPerLaunch?: number;
}

/** Tunes the gpu backend; a setting left out keeps its value. */
export function configureGpu(settings: GpuSettings): void {
  rejectUnknownKeys(optionsObject(settings, 'configureGpu'), ['entriesPerLaunch'], 'configureGpu');
  const e = settings.entriesPerLaunch;
  if (e !== undefined) {
    if (!Number.isInteger(e) || e < 1 || e > 1 << 26) {
      throw new NmsparseError('E_OPTION', `gpu entriesPerLaunch must be an integer from 1 to 2^26, got ${describeValue(e)}`);
    }
    entriesPerLaunch = e;
  }
}

/** Releases the GPU device now instead of after the idle delay (lets a Node process exit at once). */
export async function releaseGpu(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  if (busy === 0) await release();
}

/** The probe's answer once it has run (peek reports it from then on). */
let probed: Availability | undefined;

/** Starts the device once and checks one kernel, so that "available" means it ran. */
function gpuAvailable(): Promise<Availability> {
  return (availability ??= probe().then((a) => (probed = a)));
}

/**
 * listBackends without `probe`: the probe's answer if it has run, else what can be told without a
 * device (starting one takes ~0.5 s and lets the driver print to stderr).
 */
async function gpuPeek(): Promise<Availability & { probed: boolean }> {
  if (probed) return { ...probed, probed: true };
  const missing = await gpuRuntimeMissing();
  if (missing) return { available: false, reason: missing, probed: false };
  return {
    available: true,
    reason: 'gpu.js and WebGPU are present; the device was not started (listBackends({ probe: true }) starts it and runs one kernel)',
    probed: false,
  };
}

/**
 * gpu.js kernels over WebGPU: standard masks, greedy selection and TSENOR's Dykstra iterations run on
 * the GPU for all tiles of a launch at once; the local-search repair after rounding runs on the CPU
 * as part of these kernels. `exactTiles` and `prox24` are not implemented here: the dispatcher runs
 * them on wasm (else reference) and records that.
 */
registerBackend({ name: 'gpu', available: gpuAvailable, preferredFor: gpuPreferred, peek: gpuPeek });

registerKernel('standardMask', 'gpu', async ({ scores, n, m, out = new Uint8Array(scores.rows * scores.cols) }, ctx) => {
  const total = (scores.rows * scores.cols) / m;
  const launch = Math.min(total, MAX_GROUPS_PER_LAUNCH, Math.max(1, Math.floor(entriesPerLaunch / m)));
  await withEngine((e) =>
    runChunked(total, launch, ctx, async (start, end) => {
      const values = padded(scores.data, start * m, (end - start) * m, launch * m);
      const kept = await e.standard(values, launch, n, m);
      for (let k = 0; k < (end - start) * m; k++) out[start * m + k] = kept[k];
    }),
  );
  return { mask: out, objective: rowwiseMaskedSum(scores.data, out, scores.cols) };
});

registerKernel('greedyTiles', 'gpu', async ({ batch, n, fill }, ctx) => {
  const { m, count } = batch;
  const size = m * m;
  const out = new Uint8Array(count * size);
  const launch = tilesPerLaunch(count, m);
  const state = tileState(batch.tiles, out, m, n, fill);
  await withEngine((e) =>
    runChunked(count, launch, ctx, async (start, end) => {
      const priority = padded(batch.tiles, start * size, (end - start) * size, launch * size);
      await greedyOnGpu(e, batch, priority, start, end - start, launch, n, fill, out);
      if (fill !== 'exact') return;
      for (let t = start; t < end; t++) {
        state.base = t * size;
        countTile(state);
        repairTile(state, 0);
      }
    }),
  );
  return out;
});

registerKernel('tsenorTiles', 'gpu', async ({ batch, n, fill, options }, ctx) => {
  const { m, count } = batch;
  const size = m * m;
  const out = new Uint8Array(count * size);
  const launch = tilesPerLaunch(count, m);
  const stages = dykstraStages(options);
  const firstTau = stageTaus(options.tau, options.stages)[0];
  const state = tileState(batch.tiles, out, m, n, fill);
  await withEngine((e) =>
    runChunked(count, launch, ctx, async (start, end) => {
      const logS0 = initialLogS(batch, fill, firstTau, start, end - start, launch);
      const logS = await e.dykstra(logS0, launch, n, m, stages);
      await greedyOnGpu(e, batch, logS, start, end - start, launch, n, fill, out);
      for (let t = start; t < end; t++) {
        state.base = t * size;
        localSearchTile(state, options.localSearchSteps);
      }
    }),
  );
  return out;
});

registerTiledTransposable('gpu');
