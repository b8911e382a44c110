// WorkerPool.run's scheduling, on fake workers that answer their messages in order after seeded
// delays: every task runs once, a slot is never held by two tasks at once, each worker holds at most
// `depth` tasks in its own slots, `finish` gets the slot `args` got, and after an abort nothing more is
// sent. The real workers are covered by wasm.test.ts (pooled results equal the inline ones).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { setWorkerSpawner, WorkerPool, type PoolTask, type PoolWorker, type Reply } from '../../src/backends/workerPool.js';
import type { KernelName, WasmModule } from '../../src/backends/wasmModule.js';
import { mulberry32 } from '../support/random.js';

interface Sent {
  worker: number;
  args: number[];
}

/** Fake workers: each answers its messages in the order they came, after a random delay. */
function fakeSpawner(seed: number, log: Sent[]) {
  const uniform = mulberry32(seed);
  let count = 0;
  return {
    defaultThreads: () => 2,
    spawn(): PoolWorker {
      const id = count++;
      let listener: ((reply: Reply) => void) | undefined;
      let busyUntil = Promise.resolve();
      return {
        postMessage: (message) => {
          log.push({ worker: id, args: message.args });
          const delay = Math.floor(uniform() * 3);
          busyUntil = busyUntil.then(() => new Promise<void>((resolve) => setTimeout(resolve, delay))).then(() => listener?.({ ok: true }));
        },
        onReply: (l) => {
          listener = l;
        },
        onFailure: () => undefined,
        keepAlive: () => undefined,
        terminate: async () => undefined,
      };
    },
  };
}

const noModule = {} as WasmModule;
const noMemory = {} as WebAssembly.Memory;

describe('WorkerPool.run', () => {
  it('runs every task once, each worker holding at most `depth` tasks in its own slots', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 25 }),
        fc.nat(),
        async (workers, depth, count, seed) => {
          const log: Sent[] = [];
          setWorkerSpawner(fakeSpawner(seed, log));
          const pool = await WorkerPool.create(workers, noModule, noMemory);
          const held = new Map<number, number>(); // slot → task
          const ran: number[] = [];
          const inFlight = new Array<number>(workers).fill(0);
          const tasks: PoolTask[] = Array.from({ length: count }, (_, t) => ({
            size: t + 1,
            args: (slot) => {
              expect(held.has(slot)).toBe(false);
              held.set(slot, t);
              const worker = Math.floor(slot / depth);
              inFlight[worker]!++;
              expect(inFlight[worker]).toBeLessThanOrEqual(depth);
              return [t, slot];
            },
            finish: (slot) => {
              expect(held.get(slot)).toBe(t);
              held.delete(slot);
              inFlight[Math.floor(slot / depth)]!--;
              ran.push(t);
            },
          }));
          const progress: number[] = [];
          await pool.run('standardRows' as KernelName, tasks, (count * (count + 1)) / 2, { onProgress: (p) => progress.push(p.done) }, depth);
          expect([...ran].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, t) => t));
          expect(held.size).toBe(0);
          // Each message went to the worker that owns its slot.
          for (const s of log) expect(Math.floor((s.args[1] as number) / depth)).toBe(s.worker);
          expect(progress.at(-1) ?? 0).toBe((count * (count + 1)) / 2);
        },
      ),
      { seed: 20261202, numRuns: 60 },
    );
  });

  it('sends nothing more once the signal fires, and rejects with E_ABORTED after the sent tasks are back', async () => {
    const log: Sent[] = [];
    setWorkerSpawner(fakeSpawner(7, log));
    const pool = await WorkerPool.create(2, noModule, noMemory);
    const controller = new AbortController();
    let finished = 0;
    const tasks: PoolTask[] = Array.from({ length: 20 }, (_, t) => ({ size: 1, args: (slot) => [t, slot], finish: () => void finished++ }));
    const run = pool.run('standardRows' as KernelName, tasks, 20, { signal: controller.signal, onProgress: () => controller.abort() }, 2);
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    // Two workers × two slots were sent before the first answer; every sent task came back.
    expect(log.length).toBe(4);
    expect(finished).toBe(4);
  });
});
