/**
 * A fixed set of workers sharing one WebAssembly memory, each running one kernel export call per
 * message. The pool logic is the same everywhere; how a worker is started is the runtime's: the Node
 * entry registers worker_threads (src/backends/nodeThreads.ts), so that a bundle for the web never
 * sees node:worker_threads. Without a registered spawner everything runs on the calling thread.
 */
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import type { KernelName, WasmModule } from './wasmModule.js';
import type { KernelContext } from '../core/types.js';
import { readEnv } from '../core/env.js';

/** What a worker sends back after each call. */
export interface Reply {
  ok: boolean;
  error?: string;
}

/** One worker as the pool drives it; it instantiates `wasm` on `memory` and runs `{ fn, args }` messages. */
export interface PoolWorker {
  postMessage(message: { fn: KernelName; args: number[] }): void;
  onReply(listener: (reply: Reply) => void): void;
  onFailure(listener: (error: Error) => void): void;
  /** Whether an idle worker may keep the process alive (Node: ref/unref; a no-op elsewhere). */
  keepAlive(on: boolean): void;
  terminate(): Promise<unknown>;
}

/** How a runtime starts a worker, and how many it offers by default. */
export interface WorkerSpawner {
  spawn(wasm: WasmModule, memory: WebAssembly.Memory): PoolWorker;
  defaultThreads(): number;
}

let spawner: WorkerSpawner | undefined;

/** Called by a runtime entry that can run workers on a shared memory. */
export function setWorkerSpawner(value: WorkerSpawner): void {
  spawner = value;
}

/** Whether a pool can be made here: a spawner and shared memory. */
export function threadsPossible(): boolean {
  return spawner !== undefined && typeof SharedArrayBuffer === 'function';
}

/**
 * The default pool size: env NMSPARSE_THREADS when it can be read (Deno without --allow-env throws
 * on process.env), else the spawner's default (the cores), 1 without a spawner.
 */
export function defaultThreads(): number {
  const fromEnv = Number(readEnv('NMSPARSE_THREADS'));
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return fromEnv;
  return spawner ? Math.max(1, spawner.defaultThreads()) : 1;
}

/**
 * One piece of a batch: `size` units of work; `args` gives the export's arguments for a given slot
 * (called just before the task is sent), `finish` runs on the calling thread when it is done.
 */
export interface PoolTask {
  size: number;
  args: (slot: number) => number[];
  finish?: (slot: number) => void;
}

/** A fixed set of workers sharing one WebAssembly memory; tasks go to whichever is idle. */
export class WorkerPool {
  private onReply: ((worker: number, reply: Reply) => void) | undefined;
  private broken: Error | undefined;

  private constructor(private readonly workers: PoolWorker[]) {
    workers.forEach((w, index) => {
      w.onReply((reply) => this.onReply?.(index, reply));
      w.onFailure((e) => {
        this.broken = e;
        this.onReply?.(index, { ok: false, error: e.message });
      });
      w.keepAlive(false);
    });
  }

  /** `size` workers on `memory`, started by the registered spawner. */
  static async create(size: number, wasm: WasmModule, memory: WebAssembly.Memory): Promise<WorkerPool> {
    if (!spawner) throw new NmsparseError('E_BACKEND', 'this runtime registered no way to start workers');
    const start = spawner;
    return new WorkerPool(Array.from({ length: size }, () => start.spawn(wasm, memory)));
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs every task, reporting progress (in task units, out of `total`) as tasks finish. Each worker
   * holds up to `depth` tasks at once, in slots worker·depth … worker·depth + depth − 1 (a worker runs
   * its messages in order): with depth 2 the next task is already queued while the calling thread
   * finishes and refills the other slot, so a worker does not wait for those copies. On abort no
   * further task is sent; the call rejects with E_ABORTED once the sent ones are back.
   */
  run(fn: KernelName, tasks: readonly PoolTask[], total: number, ctx: KernelContext, depth = 1): Promise<void> {
    throwIfAborted(ctx.signal);
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<void>((resolve, reject) => {
      let next = 0;
      let running = 0;
      let done = 0;
      let failure: unknown;
      // Per worker, its sent tasks in the order it will answer them, and its free slots.
      const sent = this.workers.map(() => [] as { task: PoolTask; slot: number }[]);
      const free = this.workers.map((_, w) => Array.from({ length: depth }, (_, k) => w * depth + k));
      const finish = (): void => {
        this.onReply = undefined;
        for (const w of this.workers) w.keepAlive(false);
        if (failure !== undefined) reject(failure);
        else if (ctx.signal?.aborted) reject(abortError(ctx.signal));
        else resolve();
      };
      const dispatch = (worker: number): void => {
        while (failure === undefined && !ctx.signal?.aborted && next < tasks.length && free[worker]!.length > 0) {
          const task = tasks[next++] as PoolTask;
          const slot = free[worker]!.shift() as number;
          sent[worker]!.push({ task, slot });
          running++;
          this.workers[worker]?.postMessage({ fn, args: task.args(slot) });
        }
      };
      this.onReply = (worker, reply) => {
        running--;
        const { task, slot } = sent[worker]!.shift() as { task: PoolTask; slot: number };
        free[worker]!.push(slot);
        if (!reply.ok) {
          failure ??= new Error(`a WebAssembly worker failed: ${reply.error}`);
        } else {
          try {
            task.finish?.(slot);
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
      for (const w of this.workers) w.keepAlive(true);
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
