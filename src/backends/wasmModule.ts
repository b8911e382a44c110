/**
 * Loads the compiled kernels (build/*.wasm) and lays batches out in their linear memory.
 *
 * The .wasm files sit in build/ at the package root; from src/backends (vitest) and from
 * dist/backends (the published build) the same relative URL reaches them. Browsers and edge runtimes
 * fetch() it; Node reads it with fs, imported dynamically so that no bundle for the web pulls fs in.
 * Under Node the module is the shared-memory build, so a worker pool can run on the same memory.
 */

import { NmsparseError } from '../core/errors.js';
import { SETTINGS_BYTES, writeSettings, type KernelExports, type KernelSettings } from './wasmAbi.js';

export type { KernelName } from './wasmAbi.js';

export interface WasmModule {
  module: WebAssembly.Module;
  /** Whether the module imports a shared memory (the Node build, usable from worker threads). */
  shared: boolean;
}

const PAGE = 65536;
/** 4 GiB: the wasm32 limit, the declared maximum of the shared build. */
const MAX_PAGES = 65536;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function readBytes(url: URL): Promise<ArrayBuffer | Uint8Array> {
  if (url.protocol === 'file:' && isNode()) {
    const fs = await import('node:fs/promises');
    return fs.readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url.href} failed: HTTP ${response.status}`);
  return response.arrayBuffer();
}

const loading = new Map<string, Promise<WasmModule>>();

/**
 * Compiles a module of build/ once per process (the promise is cached, failures included): `name` is
 * 'nmsparse' (the mask and prox kernels) or 'nmsparse-linalg' (the pruners' linear algebra).
 */
export function loadWasmModule(name: 'nmsparse' | 'nmsparse-linalg' = 'nmsparse'): Promise<WasmModule> {
  let promise = loading.get(name);
  if (promise) return promise;
  promise = (async () => {
    if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not supported by this runtime');
    const shared = isNode() && typeof SharedArrayBuffer === 'function';
    const file = shared ? `${name}-threads.wasm` : `${name}.wasm`;
    const url = new URL(`../../build/${file}`, import.meta.url);
    let bytes: ArrayBuffer | Uint8Array;
    try {
      bytes = await readBytes(url);
    } catch (e) {
      throw new Error(`cannot read ${url.href} (run \`npm run build:wasm\`): ${(e as Error).message}`);
    }
    try {
      return { module: await WebAssembly.compile(bytes as BufferSource), shared };
    } catch (e) {
      throw new Error(`${file} does not compile here (WebAssembly SIMD is required): ${(e as Error).message}`);
    }
  })();
  loading.set(name, promise);
  return promise;
}

/** A fresh memory for the module: shared (fixed maximum) for the threads build. */
export function newMemory(wasm: WasmModule): WebAssembly.Memory {
  return wasm.shared
    ? new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: 2 });
}

/** One instance of the kernels on a memory. */
export class Kernels {
  readonly exports: KernelExports;

  constructor(
    wasm: WasmModule,
    readonly memory: WebAssembly.Memory,
  ) {
    const instance = new WebAssembly.Instance(wasm.module, { env: { memory } });
    this.exports = instance.exports as unknown as KernelExports;
  }

  /** Where the settings block lies: the first 16-aligned bytes after the static data. */
  private get settingsAt(): number {
    return align16(this.exports.heapBase());
  }

  /** Writes the settings block every kernel call reads; returns its offset. */
  writeSettings(settings: KernelSettings): number {
    const at = this.settingsAt;
    writeSettings(new DataView(this.memory.buffer), at, settings);
    return at;
  }

  /**
   * Lays out regions of the given byte sizes after the settings block (16-byte aligned), growing the
   * memory to fit; returns their offsets. Views must be created after this (growing detaches them).
   * A layout past the wasm32 limit (4 GiB), or one the runtime will not grant, is refused (E_LIMIT)
   * before any region is used.
   */
  layout(sizes: readonly number[]): number[] {
    let at = align16(this.settingsAt + SETTINGS_BYTES);
    const offsets = sizes.map((bytes) => {
      const here = at;
      at = align16(at + bytes);
      return here;
    });
    const refuse = (why: string): NmsparseError =>
      new NmsparseError(
        'E_LIMIT',
        `the batch needs ${Math.ceil(at / 2 ** 20)} MiB of WebAssembly memory, ${why}; ` +
          `use a smaller M, fewer worker threads (configureWasm) or backend 'reference'`,
      );
    if (at > MAX_PAGES * PAGE) throw refuse('more than the 4 GiB a wasm32 memory can hold');
    const needed = Math.ceil(at / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (needed > 0) {
      try {
        this.memory.grow(needed);
      } catch (e) {
        throw refuse(`more than this runtime grants (${(e as Error).message})`);
      }
    }
    return offsets;
  }

  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, offset, length);
  }

  u8(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, offset, length);
  }
}

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}
