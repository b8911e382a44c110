// Tests (vitest's setup file) and the benchmarks import modules under src/ directly, not the package
// entry, so they install Node's runtime (build/*.wasm via fs, the worker_threads pool) as src/index.ts does.
import { installNodeRuntime } from '../../src/backends/nodeThreads.js';

installNodeRuntime();
