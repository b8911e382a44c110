/**
 * Loads the compiled kernels (build/*.wasm) and lays batches out in their linear memory.
 *
 * Where the modules come from is wasmSource.ts's business (each runtime's entry sets a default). Where
 * worker threads can run (Node), they are the shared-memory builds, so a pool can run on the same memory.
 */

import { NmsparseError } from '../core/errors.js';
import { SETTINGS_BYTES, writeSettings, type KernelExports, type KernelSettings } from './wasmAbi.js';
import { loadWasm, type LoadedWasm, type WasmModuleName } from './wasmSource.js';
import { threadsPossible } from './workerPool.js';

export type { KernelName } from './wasmAbi.js';

export type WasmModule = LoadedWasm;

const PAGE = 65536;
/** 4 GiB: the wasm32 limit, the declared maximum of the shared build. */
const MAX_PAGES = 65536;

/**
 * Compiles a module of build/ once per source (wasmSource.ts): `name` is 'nmsparse' (the mask and
 * prox kernels) or 'nmsparse-linalg' (the pruners' linear algebra); the shared build where threads can run.
 */
export function loadWasmModule(name: WasmModuleName = 'nmsparse'): Promise<WasmModule> {
  return loadWasm(name, threadsPossible());
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
