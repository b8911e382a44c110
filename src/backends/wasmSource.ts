/**
 * Where the compiled kernels come from (docs/runtimes.md): two modules, 'nmsparse' (the mask and prox
 * kernels) and 'nmsparse-linalg' (the pruners' linear algebra), each with a plain and a threads build.
 *
 * Every runtime finds its WebAssembly module differently: Node reads build/*.wasm with fs; a browser
 * or a bundler follows a `new URL('…wasm', import.meta.url)` written in the web entry; Cloudflare
 * Workers and Vercel Edge import the .wasm as a module (they forbid compiling bytes at run time).
 * So the package entry of each runtime (src/index.ts, src/web.ts, src/edge.ts) installs a default
 * here, and a user who holds a module (a bundle that moved the file, an app that caches it) hands it
 * in with configureWasm({ module | bytes | url }) (the mask kernels) or configureWasm({ linalg: … }),
 * which take precedence.
 *
 * Invariants: each module is compiled at most once per source; a failure names what was tried (the
 * URL) and the runtime's own message, and advises `npm install` only where npm is the answer (Node).
 */

/** A WebAssembly module as a user or an entry can hand it in. */
export interface WasmSource {
  /** A compiled module (what a Workers/edge `import … from '….wasm'` gives). */
  module?: WebAssembly.Module;
  /** The bytes of nmsparse.wasm. */
  bytes?: ArrayBuffer | ArrayBufferView;
  /** Where to fetch nmsparse.wasm from (absolute, or relative to the page). */
  url?: string | URL;
}

/** The modules of build/: the mask and prox kernels, and the pruners' linear algebra. */
export type WasmModuleName = 'nmsparse' | 'nmsparse-linalg';

/** The default of one runtime entry. */
export interface WasmDefault {
  /** The source of module `name`; `threads` asks for its shared-memory build (worker pools need it). */
  locate(name: WasmModuleName, threads: boolean): WasmSource;
  /** Reads a URL that fetch() cannot (Node: file: URLs). */
  read?(url: URL): Promise<Uint8Array>;
  /** Advice when the default cannot be loaded (what a user of this runtime should do). */
  advice: string;
}

export interface LoadedWasm {
  module: WebAssembly.Module;
  /** Whether the module imports a shared memory (then worker threads can run on the same memory). */
  shared: boolean;
}

const HAND_IN = 'hand the module in with configureWasm({ module | bytes | url }) (docs/runtimes.md)';

let entryDefault: WasmDefault = {
  locate: () => {
    throw new Error('no package entry chose where nmsparse.wasm lies');
  },
  advice: HAND_IN,
};
const userSources = new Map<WasmModuleName, WasmSource>();
const loading = new Map<WasmModuleName, Promise<LoadedWasm>>();

/** Called once by each package entry, before anything is loaded. */
export function setWasmDefault(value: WasmDefault): void {
  entryDefault = value;
  loading.clear();
}

/** Replaces module `name` (configureWasm); the next load uses it. */
export function setWasmSource(name: WasmModuleName, source: WasmSource): void {
  userSources.set(name, source);
  loading.delete(name);
}

/**
 * Compiles module `name` once per source (the promise is cached, a failure included, until the source
 * changes). `threads` asks the default for the shared-memory build; a user's module is taken as is.
 */
export function loadWasm(name: WasmModuleName, threads: boolean): Promise<LoadedWasm> {
  let promise = loading.get(name);
  if (!promise) loading.set(name, (promise = load(name, threads)));
  return promise;
}

async function load(name: WasmModuleName, threads: boolean): Promise<LoadedWasm> {
  if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not supported by this runtime');
  const userSource = userSources.get(name);
  const advice = userSource ? 'check the module handed to configureWasm' : entryDefault.advice;
  let source: WasmSource;
  try {
    source = userSource ?? entryDefault.locate(name, threads);
  } catch (e) {
    throw new Error(`cannot tell where ${name}.wasm lies (${message(e)}); ${advice}`, { cause: e });
  }
  const module = await compile(source, advice);
  return { module, shared: importsSharedMemory(module) };
}

async function compile(source: WasmSource, advice: string): Promise<WebAssembly.Module> {
  if (source.module) return source.module;
  let bytes: BufferSource;
  let what: string;
  if (source.bytes) {
    bytes = source.bytes as BufferSource;
    what = `the ${source.bytes.byteLength} bytes handed in`;
  } else {
    let url: URL;
    try {
      url = new URL(String(source.url), (globalThis as { location?: { href?: string } }).location?.href);
    } catch (e) {
      throw new Error(`cannot resolve the wasm URL ${JSON.stringify(String(source.url))} (${message(e)}); ${advice}`, {
        cause: e,
      });
    }
    what = url.href;
    try {
      bytes = await read(url);
    } catch (e) {
      throw new Error(`cannot read ${url.href}: ${message(e)}; ${advice}`, { cause: e });
    }
  }
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    throw new Error(
      `${what} did not compile here (${message(e)}); nmsparse needs WebAssembly with SIMD, and a runtime ` +
        'that forbids compiling at run time (Cloudflare Workers, Vercel Edge) needs the .wasm imported as a module',
      { cause: e },
    );
  }
}

async function read(url: URL): Promise<BufferSource> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'blob:' && url.protocol !== 'data:') {
    if (entryDefault.read) return (await entryDefault.read(url)) as BufferSource;
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.arrayBuffer();
}

/**
 * Whether the module imports a shared memory: both builds import `env.memory`, and linking the
 * shared one against a plain memory fails, so one trial instantiation tells them apart.
 */
function importsSharedMemory(module: WebAssembly.Module): boolean {
  try {
    new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 2 }) } });
    return false;
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) return true;
    throw e;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
