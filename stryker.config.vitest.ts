import { defineConfig } from 'vitest/config';

/**
 * The tests `npm run mutate` runs mutants against: the verifier's and the reference solvers' unit
 * tests and the wasm golden tests (which pin the JS bound bit for bit). test/reference/lp-oracle is
 * left out: it takes ~20 s per run, and every mutant of exact.ts it would see is killed faster by
 * test/reference/exact.test.ts (docs/testing.md).
 */
export default defineConfig({
  test: {
    include: ['test/verify/**/*.test.ts', 'test/reference/**/*.test.ts', 'test/backends/wasm-golden.test.ts'],
    exclude: ['test/reference/lp-oracle.test.ts'],
    // As in vitest.config.ts: the tests import src/ directly, so they install Node's runtime (where the wasm lies).
    setupFiles: ['test/support/nodeRuntime.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
