// The package entry for Cloudflare Workers (`workerd` condition) and Vercel Edge (`edge-light`), which
// forbid compiling WebAssembly from bytes at run time: the .wasm is imported statically, and their
// bundlers (wrangler, Next.js) turn that import into a WebAssembly.Module (docs/runtimes.md). A bundler
// that gives the bytes or a URL instead (esbuild's binary or file loader) works too.
import linalgWasm from '../build/nmsparse-linalg.wasm';
import wasm from '../build/nmsparse.wasm';
import { setWasmDefault, type WasmSource } from './backends/wasmSource.js';

/** What the bundler made of a .wasm import, as a source. */
function sourceOf(imported: typeof wasm): WasmSource {
  if (imported instanceof WebAssembly.Module) return { module: imported };
  if (typeof imported === 'string' || imported instanceof URL) return { url: imported };
  return { bytes: imported };
}

setWasmDefault({
  locate: (name) => sourceOf(name === 'nmsparse' ? wasm : linalgWasm),
  advice: "the bundler must load nmsparse's .wasm imports as modules (wrangler does; docs/runtimes.md)",
});

export * from './api.js';
