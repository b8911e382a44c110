// The TypeScript bindings (src/backends/wasmAbi.ts, generated from scripts/wasm-abi.mjs) against the
// compiled modules: every export's name, parameter and result types read from the binaries' type,
// import, function and export sections, and the generated files current with the table.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { EXPORT_SIGNATURES, KERNEL_BUFFERS, METHOD_IDS, NO_SETTINGS, SETTINGS_BYTES, writeSettings } from '../../src/backends/wasmAbi.js';
import { Kernels, loadWasmModule, newMemory } from '../../src/backends/wasmModule.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BINARIES = ['build/nmsparse.wasm', 'build/nmsparse-threads.wasm'];

beforeAll(() => {
  if (!BINARIES.every((f) => existsSync(ROOT + f))) {
    execFileSync(process.execPath, [ROOT + 'scripts/build-wasm.mjs'], { stdio: 'inherit' });
  }
}, 120_000);

interface Signature {
  params: string[];
  results: string[];
}

const VALUE_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

/** A reader over a wasm binary: bytes, unsigned LEB128, names. */
class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new Error('truncated wasm binary');
    return this.bytes[this.at++] as number;
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
    }
  }
  name(): string {
    const length = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }
  valueType(): string {
    const b = this.byte();
    const type = VALUE_TYPES[b];
    if (!type) throw new Error(`unknown value type 0x${b.toString(16)}`);
    return type;
  }
}

/** The exported functions of a wasm binary with their signatures, and the names of all exports. */
function exportedFunctions(bytes: Uint8Array): { functions: Map<string, Signature>; names: string[] } {
  const r = new Reader(bytes);
  r.at = 8; // magic and version
  const types: Signature[] = [];
  const functionTypes: number[] = [];
  const exports: { name: string; kind: number; index: number }[] = [];
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (id === 1) {
      for (let count = r.u32(); count > 0; count--) {
        if (r.byte() !== 0x60) throw new Error('expected a function type');
        const params = Array.from({ length: r.u32() }, () => r.valueType());
        const results = Array.from({ length: r.u32() }, () => r.valueType());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let count = r.u32(); count > 0; count--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) functionTypes.push(r.u32());
        else if (kind === 2) {
          const flags = r.u32();
          r.u32();
          if (flags & 1) r.u32();
        } else throw new Error(`unexpected import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let count = r.u32(); count > 0; count--) functionTypes.push(r.u32());
    } else if (id === 7) {
      for (let count = r.u32(); count > 0; count--) exports.push({ name: r.name(), kind: r.byte(), index: r.u32() });
    }
    r.at = end;
  }
  const functions = new Map<string, Signature>();
  for (const e of exports) {
    if (e.kind === 0) functions.set(e.name, types[functionTypes[e.index] as number] as Signature);
  }
  return { functions, names: exports.map((e) => e.name) };
}

describe('the WebAssembly ABI', () => {
  it('generated files are current with scripts/wasm-abi.mjs', () => {
    // Exits 1 and names the stale files otherwise.
    execFileSync(process.execPath, [ROOT + 'scripts/generate-wasm-abi.mjs', '--check'], { stdio: 'pipe' });
  });

  for (const file of BINARIES) {
    it(`${file} exports exactly the functions of the bindings, with their signatures`, () => {
      const { functions, names } = exportedFunctions(readFileSync(ROOT + file));
      expect([...functions.keys()].sort()).toEqual(Object.keys(EXPORT_SIGNATURES).sort());
      // Besides the functions only the (imported) memory is exported.
      expect(names.filter((name) => !functions.has(name))).toEqual(['memory']);
      for (const [name, signature] of Object.entries(EXPORT_SIGNATURES)) {
        expect(functions.get(name), name).toEqual({ params: [...signature.params], results: [...signature.results] });
      }
    });
  }

  it('every kernel takes settings, start, end, its buffers and scratch, and has a ScratchBytes', () => {
    for (const [kernel, buffers] of Object.entries(KERNEL_BUFFERS)) {
      const signatures = EXPORT_SIGNATURES as Record<string, { params: readonly string[]; results: readonly string[] }>;
      expect(signatures[kernel]?.params.length, kernel).toBe(4 + buffers.length);
      expect(signatures[`${kernel}ScratchBytes`], kernel).toEqual({ params: ['i32'], results: ['f64'] });
    }
  });

  it('writes every setting inside the block and refuses an integer setting that is not an i32', () => {
    const memory = new DataView(new ArrayBuffer(2 * SETTINGS_BYTES));
    const marked = new Uint8Array(memory.buffer);
    marked.fill(0xee);
    writeSettings(memory, SETTINGS_BYTES, { ...NO_SETTINGS, m: 7, tau: 1.5, lambda: 2.5 });
    expect(marked.subarray(0, SETTINGS_BYTES).every((b) => b === 0xee)).toBe(true);
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 1, 1.5, Number.NaN]) {
      for (const field of ['m', 'iterations', 'localSearchSteps'] as const) {
        expect(() => writeSettings(memory, 0, { ...NO_SETTINGS, [field]: bad })).toThrow(NmsparseError);
      }
    }
  });
});

describe('kernel scratch sizes', () => {
  it('are computed in f64: no wrap past 2^31 or 2^32 bytes (issue 10 #2), and grow as M²', async () => {
    const wasm = await loadWasmModule();
    const k = new Kernels(wasm, newMemory(wasm));
    const bytes = (name: 'exactTilesScratchBytes' | 'greedyTilesScratchBytes' | 'tsenorTilesScratchBytes', m: number) =>
      k.exports[name](k.writeSettings({ ...NO_SETTINGS, m, n: 1 }));
    for (const name of ['exactTilesScratchBytes', 'greedyTilesScratchBytes', 'tsenorTilesScratchBytes'] as const) {
      const small = bytes(name, 1024);
      // M = 4992 overflowed i32 for TSENOR; 2^16 overflows u32 for every kernel.
      for (const m of [4992, 7700, 2 ** 16]) {
        const big = bytes(name, m);
        expect(Number.isInteger(big) && big > 0, `${name} M=${m}`).toBe(true);
        // Θ(M²); exact's selection network rounds its M² part up to a power of two in one dimension.
        const growth = big / small / (m / 1024) ** 2;
        expect(growth, `${name} M=${m}`).toBeGreaterThan(0.99);
        expect(growth, `${name} M=${m}`).toBeLessThan(1.7);
      }
    }
    expect(bytes('tsenorTilesScratchBytes', 2 ** 16)).toBeGreaterThan(2 ** 32);
    // The band kernel adds the band itself: M rows of cols scores and masks.
    const band = k.exports.bandTilesScratchBytes(
      k.writeSettings({ ...NO_SETTINGS, m: 1024, n: 1, method: METHOD_IDS.exact, cols: 2 ** 21 }),
    );
    expect(band).toBeGreaterThan(5 * 1024 * 2 ** 21);
  });

  it('beyond the wasm32 memory are refused with E_LIMIT before anything is laid out', async () => {
    const wasm = await loadWasmModule();
    const memory = newMemory(wasm);
    const k = new Kernels(wasm, memory);
    const before = memory.buffer.byteLength;
    for (const sizes of [[2 ** 32], [2 ** 31, 2 ** 31], [1e20]]) {
      let code = '';
      try {
        k.layout(sizes);
      } catch (e) {
        code = e instanceof NmsparseError ? e.code : String(e);
      }
      expect(code).toBe('E_LIMIT');
    }
    expect(memory.buffer.byteLength).toBe(before);
  });
});
