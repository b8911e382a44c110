import { NmsparseError } from '../../core/errors.js';

/** The slice of gpu.js (2.24, `mode: 'webgpu'`) that nmsparse uses. */
export interface GpuKernel {
  (...args: unknown[]): Promise<unknown>;
  destroy(): void;
}

export interface GpuPipeline {
  (...args: unknown[]): Promise<unknown>;
  readonly executorKind: string;
  destroy(): Promise<void>;
}

export interface GpuJs {
  createKernel(fn: (...args: never[]) => number, settings: Record<string, unknown>): GpuKernel;
  createPipeline(fn: (...args: never[]) => unknown): GpuPipeline;
  destroy(): void;
}

interface GpuJsModule {
  GPU: new (settings: { mode: string }) => GpuJs;
  input(value: Float32Array, size: number[]): unknown;
  WebGPUContext: { destroy(): Promise<void> };
}

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface Adapter {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
}

interface NavigatorGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<Adapter | null>;
}

interface WebGpuModule {
  create(flags: string[]): NavigatorGpu;
  globals: Record<string, unknown>;
}

/** A started GPU: gpu.js driving a WebGPU adapter, and what that adapter is. */
export interface GpuRuntime {
  gpu: GpuJs;
  /** Wraps a flat array as an n-D kernel argument (gpu.js `input`, sizes innermost first). */
  input(value: Float32Array, size: number[]): unknown;
  /** Adapter description, e.g. "NVIDIA H100 (vulkan)" or "llvmpipe ... (opengles, compatibility)". */
  adapter: string;
  /** True for CPU rasterisers (llvmpipe, lavapipe, SwiftShader, a fallback adapter). */
  software: boolean;
}

/** Dawn backends tried in Node, in order: the platform default (Vulkan, Metal, D3D12), then Mesa's GLES. */
const NODE_ATTEMPTS: { name: string; flags: string[]; adapterOptions: Record<string, unknown> }[] = [
  { name: 'default', flags: [], adapterOptions: {} },
  { name: 'opengles, compatibility', flags: ['backend=opengles'], adapterOptions: { featureLevel: 'compatibility' } },
];

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

// Variable specifiers keep bundlers from resolving the optional packages at build time.
const GPU_JS = 'gpu.js';
const WEBGPU = 'webgpu';

function describe(adapter: Adapter, how: string): { adapter: string; software: boolean } {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  const name = parts.length > 0 ? parts.join(' / ') : 'unnamed adapter';
  const software =
    adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(parts.join(' '));
  return { adapter: `${name} (${how})`, software };
}

/**
 * Dawn instances, one per set of flags, kept for the life of the process: dawn.node keeps polling an
 * instance after its last JavaScript reference is gone, and collecting one crashed or deadlocked
 * Node in our tests (webgpu 0.3.8). A process still exits once its devices are destroyed.
 */
const dawnInstances = new Map<string, NavigatorGpu>();

function dawnInstance(webgpu: WebGpuModule, flags: string[]): NavigatorGpu {
  const key = flags.join(' ');
  let instance = dawnInstances.get(key);
  if (!instance) {
    instance = webgpu.create(flags);
    dawnInstances.set(key, instance);
  }
  return instance;
}

function installNavigatorGpu(gpu: NavigatorGpu): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

function removeNavigatorGpu(gpu: NavigatorGpu): void {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav && nav.gpu === gpu) delete nav.gpu;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * The optional peer dependencies and the versions nmsparse is tested with (package.json
 * peerDependencies; README "GPU backend").
 */
const PINS = 'gpu.js@2.24.1 webgpu@0.3.8';

/** The error for an optional package that cannot be loaded; npm is the advice only under Node. */
function missingPackage(specifier: string, what: string, cause: unknown): NmsparseError {
  const fix = isNode()
    ? `the GPU backend is opt-in: \`npm install ${PINS}\``
    : 'bundle gpu.js with the app or load its browser build (gpu-browser.min.js) with a <script> tag';
  const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new NmsparseError('E_BACKEND', `${what} could not be loaded (${why}); ${fix}`, { cause });
}

async function importOptional<T>(specifier: string, what: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (cause) {
    throw missingPackage(specifier, what, cause);
  }
}

/**
 * Gives gpu.js a `navigator.gpu`: the browser's own, or in Node one made by the `webgpu` package
 * (Dawn), trying the platform's default backend first and Mesa's GLES driver (headless, EGL
 * surfaceless) second. Returns the adapter's description and a function that undoes the install.
 */
async function provideWebGpu(): Promise<{ adapter: string; software: boolean; release: () => void }> {
  const existing = (globalThis as { navigator?: { gpu?: NavigatorGpu } }).navigator?.gpu;
  if (existing) {
    const adapter = await existing.requestAdapter();
    if (!adapter) throw new NmsparseError('E_BACKEND', 'navigator.gpu is present but requestAdapter() gave no adapter');
    return { ...describe(adapter, 'navigator.gpu'), release: () => {} };
  }
  if (!isNode()) throw new NmsparseError('E_BACKEND', 'this runtime has no WebGPU (navigator.gpu is missing)');
  // Mesa's EGL needs a platform when there is no display; read when Dawn opens EGL.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const webgpu = await importOptional<WebGpuModule>(WEBGPU, "the 'webgpu' package (Dawn for Node)");
  Object.assign(globalThis, webgpu.globals);
  const tried: string[] = [];
  for (const attempt of NODE_ATTEMPTS) {
    let raw: NavigatorGpu;
    try {
      raw = dawnInstance(webgpu, attempt.flags);
    } catch (e) {
      tried.push(`${attempt.name}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const adapter = await raw.requestAdapter(attempt.adapterOptions).catch(() => null);
    if (!adapter) {
      tried.push(`${attempt.name}: no adapter`);
      continue;
    }
    const gpu: NavigatorGpu = {
      requestAdapter: (options) => raw.requestAdapter({ ...attempt.adapterOptions, ...(options ?? {}) }),
    };
    installNavigatorGpu(gpu);
    return { ...describe(adapter, attempt.name), release: () => removeNavigatorGpu(gpu) };
  }
  throw new NmsparseError(
    'E_BACKEND',
    `no WebGPU adapter could be made in Node (${tried.join('; ')}); a GPU needs its Vulkan driver, ` +
      'a software GPU needs Mesa (Debian: libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)',
  );
}

async function importGpuJs(): Promise<GpuJsModule> {
  // A page may have loaded gpu.js's browser build (<script src=".../gpu-browser.min.js">): a global GPU.
  const preloaded = (globalThis as { GPU?: Partial<GpuJsModule> }).GPU;
  if (preloaded?.GPU && preloaded.input && preloaded.WebGPUContext) return preloaded as GpuJsModule;
  const gpuJs = await importOptional<{ default?: GpuJsModule } & GpuJsModule>(GPU_JS, "the 'gpu.js' package");
  return gpuJs.default ?? gpuJs;
}

/**
 * What keeps the GPU runtime from starting, told without starting it (no adapter, no device, and
 * under Node without even loading the packages, which takes ~0.5 s): gpu.js missing, or no WebGPU
 * (navigator.gpu, or the `webgpu` package under Node). Undefined when both are there; whether a
 * device really comes up only a start tells.
 */
export async function gpuRuntimeMissing(): Promise<string | undefined> {
  try {
    if (isNode() && typeof import.meta.resolve === 'function') {
      for (const [specifier, what] of [
        [GPU_JS, "the 'gpu.js' package"],
        [WEBGPU, "the 'webgpu' package (Dawn for Node)"],
      ] as const) {
        try {
          import.meta.resolve(specifier);
        } catch (cause) {
          throw missingPackage(specifier, what, cause);
        }
      }
      return undefined;
    }
    await importGpuJs();
    if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return undefined;
    return isNode() ? undefined : 'this runtime has no WebGPU (navigator.gpu is missing)';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

let started: Promise<GpuRuntime> | null = null;
let stop: (() => Promise<void>) | null = null;

/** Starts (once) gpu.js on a WebGPU adapter, or throws E_BACKEND saying what is missing. */
export function startGpuRuntime(): Promise<GpuRuntime> {
  if (!started) {
    const starting = (async () => {
      const mod = await importGpuJs();
      const provided = await provideWebGpu();
      const gpu = new mod.GPU({ mode: 'webgpu' });
      stop = async () => {
        gpu.destroy();
        await mod.WebGPUContext.destroy();
        provided.release();
      };
      return { gpu, input: mod.input, adapter: provided.adapter, software: provided.software };
    })();
    starting.catch(() => {
      if (started === starting) started = null;
    });
    started = starting;
  }
  return started;
}

/**
 * Destroys the device and the kernels built on it. In Node, Dawn keeps the process alive (and
 * polls) while a device exists, so the gpu backend calls this when it goes idle.
 */
export async function stopGpuRuntime(): Promise<void> {
  const stopping = stop;
  started = null;
  stop = null;
  if (stopping) await stopping();
}
