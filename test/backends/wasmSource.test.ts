// Where the wasm comes from (src/backends/wasmSource.ts): a module handed in by bytes, module or URL runs
// the same as the package's own; one that cannot be loaded leaves the backend unavailable with the URL
// and the runtime's own message, never a silent switch to another backend; bad input is E_OPTION.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getKernel, listBackends } from '../../src/backends/registry.js';
import { configureWasm } from '../../src/backends/wasm.js';
import { transposableMask } from '../../src/masks.js';
import { gaussianMatrix } from '../support/random.js';

const PLAIN = new URL('../../build/nmsparse.wasm', import.meta.url);
const THREADS = new URL('../../build/nmsparse-threads.wasm', import.meta.url);
const scores = gaussianMatrix(32, 32, 7);

async function wasmInfo() {
  return (await listBackends()).find((b) => b.name === 'wasm');
}

async function objectiveOn(backend: 'wasm' | 'reference'): Promise<number> {
  const r = await transposableMask(scores, { n: 2, m: 4, method: 'exact', backend });
  expect(r.backend).toBe(backend);
  return r.objective;
}

describe('configureWasm sources', () => {
  it('runs a module handed in as bytes, as a module or as a URL, with the reference objective', async () => {
    const want = await objectiveOn('reference');
    const bytes = readFileSync(PLAIN);
    for (const source of [{ bytes }, { module: new WebAssembly.Module(bytes) }, { url: PLAIN.href }, { url: THREADS }]) {
      await configureWasm(source);
      const info = await wasmInfo();
      expect(info?.available, info?.reason).toBe(true);
      expect(await objectiveOn('wasm')).toBe(want);
    }
    // The shared-memory build is recognised as such and may run on the worker pool.
    expect((await wasmInfo())?.reason).toMatch(/worker thread/);
  });

  it('says which URL failed and why, refuses backend wasm, and recovers when a good module comes', async () => {
    const missing = new URL('./no-such-dir/nmsparse.wasm', PLAIN);
    await configureWasm({ url: missing });
    const info = await wasmInfo();
    expect(info?.available).toBe(false);
    expect(info?.reason).toContain(missing.href);
    expect(info?.reason).toMatch(/ENOENT/);
    await expect(transposableMask(scores, { n: 2, m: 4, backend: 'wasm' })).rejects.toMatchObject({ code: 'E_BACKEND' });

    await configureWasm({ bytes: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 255]) });
    expect((await wasmInfo())?.reason).toMatch(/did not compile/);

    await configureWasm({ bytes: readFileSync(PLAIN) });
    expect((await wasmInfo())?.available).toBe(true);
  });

  it('hands in the linear algebra module the same way (linalg), with the URL in the failure', async () => {
    const gemm = getKernel('gemm', 'wasm');
    if (!gemm) throw new Error('wasm lacks gemm');
    // 2×2 identity times [[1, 2], [3, 4]].
    const args = { a: Float32Array.of(1, 0, 0, 1), b: Float32Array.of(1, 2, 3, 4), c: new Float32Array(4), shape: { m: 2, k: 2, n: 2 } };
    const missing = new URL('./no-such-dir/nmsparse-linalg.wasm', PLAIN);
    await configureWasm({ linalg: { url: missing } });
    await expect(gemm(args, {})).rejects.toThrow(missing.href);
    await configureWasm({ linalg: { bytes: readFileSync(new URL('../../build/nmsparse-linalg.wasm', import.meta.url)) } });
    expect([...(await gemm(args, {}))]).toEqual([1, 2, 3, 4]);
  });

  it('rejects two sources at once and values of the wrong type (E_OPTION)', async () => {
    const bad: unknown[] = [
      { bytes: new Uint8Array(8), url: PLAIN },
      { module: new Uint8Array(8) },
      { bytes: 'AGFzbQ==' },
      { url: 42 },
      { path: 'nmsparse.wasm' },
      { linalg: {} },
      { linalg: { url: PLAIN, bytes: new Uint8Array(8) } },
      { linalg: 'nmsparse-linalg.wasm' },
    ];
    for (const options of bad) {
      await expect(configureWasm(options as never)).rejects.toMatchObject({ code: 'E_OPTION' });
    }
  });
});

describe('listBackends', () => {
  it('starts no GPU unless asked: the gpu entry says it was not probed', async () => {
    const gpu = (await listBackends()).find((b) => b.name === 'gpu');
    expect(gpu?.probed).toBe(false);
    for (const b of await listBackends()) if (b.name !== 'gpu') expect(b.probed, b.name).toBe(true);
  });

  it('rejects options that are not { probe?: boolean } (E_OPTION)', async () => {
    for (const options of [{ probe: 'yes' }, { probes: true }, 7]) {
      await expect(listBackends(options as never)).rejects.toMatchObject({ code: 'E_OPTION' });
    }
  });
});
