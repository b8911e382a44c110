// The package entry for browsers, bundlers and any runtime without the `node` condition
// (docs/runtimes.md). The wasm URLs are written out literally so that bundlers (Vite, webpack, Parcel)
// see them and ship the files; where one does not (esbuild), configureWasm({ url | bytes }) hands the
// module in. A cross-origin isolated page runs the shared-memory builds on a pool of Web Workers.
import { setWasmDefault, type WasmModuleName } from './backends/wasmSource.js';
import { webWorkerSpawner } from './backends/webWorkers.js';
import { setWorkerSpawner } from './backends/workerPool.js';

const spawner = webWorkerSpawner();
if (spawner) setWorkerSpawner(spawner);

/** Each build's URL, spelt out for bundlers. */
function urlOf(name: WasmModuleName, threads: boolean): URL {
  if (name === 'nmsparse') {
    return threads
      ? new URL('../build/nmsparse-threads.wasm', import.meta.url)
      : new URL('../build/nmsparse.wasm', import.meta.url);
  }
  return threads
    ? new URL('../build/nmsparse-linalg-threads.wasm', import.meta.url)
    : new URL('../build/nmsparse-linalg.wasm', import.meta.url);
}

setWasmDefault({
  locate: (name, threads) => ({ url: urlOf(name, threads) }),
  advice:
    'if a bundler did not ship nmsparse.wasm, hand it in with configureWasm({ module | bytes | url }) ' +
    '(docs/runtimes.md has the line for each bundler)',
});

export * from './api.js';
