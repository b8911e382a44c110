/**
 * Node's half of the runtime split (docs/runtimes.md): worker_threads for the wasm pool, the core
 * count for its default size, and fs for build/*.wasm. Only the Node entry (src/index.ts) imports this
 * module, so that bundles for browsers and edge runtimes never see node:* modules.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setWasmDefault } from './wasmSource.js';
import { setWorkerSpawner, type PoolWorker, type Reply } from './workerPool.js';
import type { WasmModule } from './wasmModule.js';
import { readEnv } from '../core/env.js';

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

function spawn(wasm: WasmModule, memory: WebAssembly.Memory): PoolWorker {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: wasm.module, memory } });
  return {
    postMessage: (message) => worker.postMessage(message),
    onReply: (listener) => worker.on('message', (reply: Reply) => listener(reply)),
    onFailure: (listener) => worker.on('error', listener),
    keepAlive: (on) => (on ? worker.ref() : worker.unref()),
    terminate: () => worker.terminate(),
  };
}

/** Installs Node's defaults: the shared build for a worker_threads pool, the plain one otherwise. */
export function installNodeRuntime(): void {
  setWorkerSpawner({ spawn, defaultThreads: availableParallelism });
  setWasmDefault({
    // From src/backends (vitest) and dist/backends (the package) the same relative URL reaches build/.
    // Test hook for scripts/kernel-mutants.mjs: NMSPARSE_WASM_DIR (an absolute path) names another build folder.
    locate: (name, threads) => {
      const file = `${name}${threads ? '-threads' : ''}.wasm`;
      const dir = readEnv('NMSPARSE_WASM_DIR');
      return { url: dir ? new URL(file, `file://${dir}/`) : new URL(`../../build/${file}`, import.meta.url) };
    },
    read: (url) => readFile(url),
    advice:
      'the package ships build/*.wasm: reinstall it (`npm install nmsparse`); if a bundler moved nmsparse, ' +
      'copy the .wasm next to the bundle or hand it in with configureWasm({ module | bytes | url }) (docs/runtimes.md)',
  });
}
