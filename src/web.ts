// The package entry for browsers, bundlers and any runtime without the `node` condition
// (docs/runtimes.md). The wasm URLs are written out literally so that bundlers (Vite, webpack, Parcel)
// see them and ship the files; where one does not (esbuild), configureWasm({ url | bytes }) hands the
// module in.
import { setWasmDefault } from './backends/wasmSource.js';

setWasmDefault({
  locate: (name) => ({
    url:
      name === 'nmsparse'
        ? new URL('../build/nmsparse.wasm', import.meta.url)
        : new URL('../build/nmsparse-linalg.wasm', import.meta.url),
  }),
  advice:
    'if a bundler did not ship nmsparse.wasm, hand it in with configureWasm({ module | bytes | url }) ' +
    '(docs/runtimes.md has the line for each bundler)',
});

export * from './api.js';
