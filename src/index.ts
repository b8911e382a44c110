// The package entry for Node, and for Deno, Bun and Node bundles, which take the `node` condition
// (docs/runtimes.md): kernels read from build/ with fs, the shared-memory build on a worker_threads pool.
import { installNodeRuntime } from './backends/nodeThreads.js';

installNodeRuntime();

export * from './api.js';
