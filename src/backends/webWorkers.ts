/**
 * Web Workers for the wasm pool in browsers (docs/runtimes.md, "Threads in browsers"). A page that is
 * cross-origin isolated (COOP same-origin + COEP require-corp) has SharedArrayBuffer, so the workers can
 * instantiate the shared-memory build on the page's memory, exactly as Node's worker_threads do; any
 * other page runs on one thread. Each worker is a classic script from a Blob URL, so that no file has to
 * be shipped or found by a bundler.
 *
 * Protocol: the first message is { module, memory } (instantiate); every later one { fn, args } (one
 * export call), answered by { ok, error? } in order.
 */
import type { PoolWorker, Reply, WorkerSpawner } from './workerPool.js';

const WORKER_SOURCE = `
let instance;
onmessage = (event) => {
  const msg = event.data;
  if (msg.module) {
    instance = new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } });
    return;
  }
  try {
    instance.exports[msg.fn](...msg.args);
    postMessage({ ok: true });
  } catch (e) {
    postMessage({ ok: false, error: String((e && e.message) || e) });
  }
};
`;

interface WebGlobals {
  crossOriginIsolated?: boolean;
  Worker?: typeof Worker;
  navigator?: { hardwareConcurrency?: number };
}

/** A spawner of Web Workers when this context is cross-origin isolated and has workers; else undefined. */
export function webWorkerSpawner(): WorkerSpawner | undefined {
  const g = globalThis as WebGlobals;
  const WorkerClass = g.Worker;
  if (g.crossOriginIsolated !== true || typeof WorkerClass !== 'function' || typeof SharedArrayBuffer !== 'function') {
    return undefined;
  }
  let source: string | undefined;
  return {
    spawn(wasm, memory): PoolWorker {
      source ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      const worker = new WorkerClass(source);
      worker.postMessage({ module: wasm.module, memory });
      return {
        postMessage: (message) => worker.postMessage(message),
        onReply: (listener) => worker.addEventListener('message', (event: MessageEvent<Reply>) => listener(event.data)),
        onFailure: (listener) =>
          worker.addEventListener('error', (event: ErrorEvent) => listener(new Error(event.message || 'a Web Worker failed'))),
        // A page does not exit: nothing to hold or release.
        keepAlive: () => {},
        terminate: async () => worker.terminate(),
      };
    },
    defaultThreads: () => g.navigator?.hardwareConcurrency ?? 1,
  };
}
