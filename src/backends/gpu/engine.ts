import {
  boxKernel,
  columnLogSumKernel,
  greedyRoundKernel,
  OPEN,
  rowLogSumKernel,
  scaleKernel,
  standardKernel,
  zeroKernel,
  type Tiles,
} from './kernels.js';
import type { GpuKernel, GpuPipeline, GpuRuntime } from './runtime.js';

/** Bound on log-domain values: far from the f32 range, far beyond any meaningful log S or log Q. */
const LOG_LIMIT = 1e30;

/**
 * Greedy rounds per launch for m×m tiles before the host checks whether every entry is decided:
 * on random tiles 2:4 needs at most 7 rounds, 8:16 at most 14, 16:32 at most 19 (300 tiles each).
 */
const greedyRoundsPerLaunch = (m: number): number => m + 8;


/** Pipelines (with their kernels) kept compiled; the oldest is destroyed beyond this. */
const CACHE_SIZE = 8;

/** One τ stage of Dykstra: multiply log S and log Q by `factor` (1 for the first), then iterate. */
export interface DykstraStage {
  factor: number;
  iterations: number;
}

interface Compiled {
  pipeline: GpuPipeline;
  kernels: GpuKernel[];
}

/** Reads a gpu.js result (nested arrays of Float32Array rows) into one flat array. */
function flatten(result: unknown, length: number): Float32Array {
  const out = new Float32Array(length);
  let at = 0;
  const walk = (x: unknown): void => {
    if (x instanceof Float32Array) {
      out.set(x, at);
      at += x.length;
    } else {
      for (const y of x as unknown[]) walk(y);
    }
  };
  walk(result);
  if (at !== length) throw new Error(`nmsparse internal error: gpu result has ${at} values, expected ${length}`);
  return out;
}

/**
 * The GPU kernels over fixed-size batches: every call takes exactly `count` tiles (the caller pads),
 * runs one compiled plan (kernels chained on the GPU, one upload, one readback) and returns a flat
 * array laid out like its input.
 */
export class GpuEngine {
  private readonly compiled = new Map<string, Compiled>();

  constructor(private readonly runtime: GpuRuntime) {}

  get adapter(): string {
    return this.runtime.adapter;
  }

  get software(): boolean {
    return this.runtime.software;
  }

  /** Standard N:M over `groups` groups of m values: 1 for kept, 0 for dropped. */
  async standard(values: Float32Array, groups: number, n: number, m: number): Promise<Float32Array> {
    const plan = this.plan(`standard:${m}:${groups}:${n}`, () => {
      const kernel = this.kernel(standardKernel, [m, groups], {});
      return { kernels: [kernel], orchestrate: (s: unknown) => kernel(s, n, m) };
    });
    return flatten(await plan(this.runtime.input(values, [m, groups])), m * groups);
  }

  /**
   * Greedy selection by `priority` in every tile (see greedyRoundKernel): the status of each entry,
   * KEPT or DROPPED. Rounds run on the GPU, a launch at a time, until none is OPEN.
   */
  async greedy(
    priority: Float32Array,
    scores: Float32Array,
    count: number,
    n: number,
    m: number,
    atMost: boolean,
  ): Promise<Float32Array> {
    const shape = [m, m, count];
    const plan = this.plan(`greedy:${m}:${count}:${n}:${atMost}`, () => {
      const round = this.kernel(greedyRoundKernel, shape, { atMost: atMost ? 1 : 0 });
      return {
        kernels: [round],
        orchestrate: (p: unknown, s: unknown, status0: unknown) => {
          let status = status0;
          for (let r = 0; r < greedyRoundsPerLaunch(m); r++) status = round(p, s, status, n, m);
          return status;
        },
      };
    });
    const p = this.runtime.input(priority, shape);
    const s = this.runtime.input(scores, shape);
    let status: Float32Array = new Float32Array(priority.length);
    do {
      status = flatten(await plan(p, s, this.runtime.input(status, shape)), status.length);
    } while (status.includes(OPEN));
    return status;
  }

  /**
   * Dykstra's iterations in log domain for `count` tiles from log S0 (log Q starts at 0): per
   * iteration row scaling, column scaling and the box step. Returns the final log S.
   */
  async dykstra(logS0: Float32Array, count: number, n: number, m: number, stages: DykstraStage[]): Promise<Float32Array> {
    const shape = [m, m, count];
    const logN = Math.log(n);
    const key = `dykstra:${m}:${count}:${n}:${stages.map((s) => `${s.factor}x${s.iterations}`).join(',')}`;
    const plan = this.plan(key, () => {
      const rowSums = this.kernel(rowLogSumKernel, [m, count], {});
      const columnSums = this.kernel(columnLogSumKernel, [m, count], {});
      const boxS = this.kernel(boxKernel, shape, { limit: LOG_LIMIT, upper: 0 });
      const boxQ = this.kernel(boxKernel, shape, { limit: LOG_LIMIT, upper: 1 });
      const scale = this.kernel(scaleKernel, shape, { limit: LOG_LIMIT });
      const zero = this.kernel(zeroKernel, shape, {});
      return {
        kernels: [rowSums, columnSums, boxS, boxQ, scale, zero],
        orchestrate: (start: unknown) => {
          let logS = start;
          let logQ = zero();
          for (const stage of stages) {
            if (stage.factor !== 1) {
              logS = scale(logS, stage.factor);
              logQ = scale(logQ, stage.factor);
            }
            for (let it = 0; it < stage.iterations; it++) {
              const rowSum = rowSums(logS, m);
              const columnSum = columnSums(logS, rowSum, m);
              const nextS = boxS(logS, logQ, rowSum, columnSum, logN);
              logQ = boxQ(logS, logQ, rowSum, columnSum, logN);
              logS = nextS;
            }
          }
          return logS;
        },
      };
    });
    return flatten(await plan(this.runtime.input(logS0, shape)), logS0.length);
  }

  /** Destroys every compiled kernel and plan. */
  async dispose(): Promise<void> {
    const all = [...this.compiled.values()];
    this.compiled.clear();
    for (const c of all) await this.destroy(c);
  }

  private kernel(fn: (this: never, ...args: never[]) => number, output: number[], constants: Record<string, number>) {
    return this.runtime.gpu.createKernel(fn as (...args: never[]) => number, {
      output,
      constants,
      loopMaxIterations: 1024,
    }) as GpuKernel & ((...args: unknown[]) => Tiles);
  }

  private plan(
    key: string,
    build: () => { kernels: GpuKernel[]; orchestrate: (...handles: unknown[]) => unknown },
  ): GpuPipeline {
    const hit = this.compiled.get(key);
    if (hit) {
      // Refresh its place as the most recently used.
      this.compiled.delete(key);
      this.compiled.set(key, hit);
      return hit.pipeline;
    }
    const { kernels, orchestrate } = build();
    const pipeline = this.runtime.gpu.createPipeline(orchestrate as (...args: never[]) => unknown);
    this.compiled.set(key, { pipeline, kernels });
    while (this.compiled.size > CACHE_SIZE) {
      const [oldestKey, oldest] = this.compiled.entries().next().value as [string, Compiled];
      this.compiled.delete(oldestKey);
      void this.destroy(oldest);
    }
    return pipeline;
  }

  private async destroy(c: Compiled): Promise<void> {
    await c.pipeline.destroy();
    for (const k of c.kernels) k.destroy();
  }
}
