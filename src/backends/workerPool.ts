import type { Worker } from 'node:worker_threads';
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import type { KernelName, WasmModule } from './wasmModule.js';
import type { KernelContext } from '../core/types.js';

/**
 * Each worker instantiates the kernels on the shared memory and runs one export call per message.
 * It is plain JavaScript evaluated in the worker, so it runs the same from src/ (vitest) and dist/.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
parentPort.on('message', (msg) => {
  try {
    instance.exports[msg.fn](...msg.args);
    parentPort.postMessage({ ok: true });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String((e && e.message) || e) });
  }
});
`;

/**
 * One piece of a batch: `size` units of work; `args` gives the export's arguments for a given worker
 * (called just before the task is sent to it), `finish` runs on the calling thread when it is done.
 */
export interface PoolTask {
  size: number;
  args: (worker: number) => number[];
  finish?: (worker: number) => void;
}

interface Reply {
  ok: boolean;
  error?: string;
}

/** A fixed set of worker threads sharing one WebAssembly memory; tasks go to whichever is idle. */
export class WorkerPool {
  private onReply: ((worker: number, reply: Reply) => void) | undefined;
  private broken: Error | undefined;

  private constructor(private readonly workers: Worker[]) {
    workers.forEach((w, index) => {
      w.on('message', (reply: Reply) => this.onReply?.(index, reply));
      w.on('error', (e: Error) => {
        this.broken = e;
        this.onReply?.(index, { ok: false, error: e.message });
      });
      w.unref();
    });
  }

  static async create(size: number, wasm: WasmModule, memory: WebAssembly.Memory): Promise<WorkerPool> {
    const { Worker } = await import('node:worker_threads');
    const workers: Worker[] = [];
    for (let i = 0; i < size; i++) {
      workers.push(new Worker(WORKER_SOURCE, { eval: true, workerData: { module: wasm.module, memory } }));
    }
    return new WorkerPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs every task, reporting progress (in task units, out of `total`) as tasks finish. On abort no
   * further task starts; the call rejects with E_ABORTED once the running ones are back.
   */
  run(fn: KernelName, tasks: readonly PoolTask[], total: number, ctx: KernelContext): Promise<void> {
    throwIfAborted(ctx.signal);
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<void>((resolve, reject) => {
      let next = 0;
      let running = 0;
      let done = 0;
      let failure: unknown;
      const current = new Array<PoolTask | undefined>(this.workers.length).fill(undefined);
      const finish = (): void => {
        this.onReply = undefined;
        for (const w of this.workers) w.unref();
        if (failure !== undefined) reject(failure);
        else if (ctx.signal?.aborted) reject(abortError(ctx.signal));
        else resolve();
      };
      const dispatch = (worker: number): void => {
        if (failure !== undefined || ctx.signal?.aborted || next >= tasks.length) return;
        const task = tasks[next++] as PoolTask;
        current[worker] = task;
        running++;
        this.workers[worker]?.postMessage({ fn, args: task.args(worker) });
      };
      this.onReply = (worker, reply) => {
        running--;
        if (!reply.ok) {
          failure ??= new Error(`a WebAssembly worker failed: ${reply.error}`);
        } else {
          const task = current[worker] as PoolTask;
          try {
            task.finish?.(worker);
          } catch (e) {
            failure ??= e;
          }
          done += task.size;
          // The caller's callback runs in a message handler: a throw there would be uncaught, so the
          // call rejects with it instead (once the running tasks are back).
          try {
            ctx.onProgress?.({ done, total });
          } catch (e) {
            failure ??= e;
          }
        }
        dispatch(worker);
        if (running === 0) finish();
      };
      for (const w of this.workers) w.ref();
      this.workers.forEach((_, i) => dispatch(i));
      if (running === 0) finish();
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function abortError(signal: AbortSignal): NmsparseError {
  return new NmsparseError('E_ABORTED', 'the operation was cancelled (AbortSignal fired)', { cause: signal.reason });
}
