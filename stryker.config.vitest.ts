import { defineConfig } from 'vitest/config';

/**
 * The tests `npm run mutate` runs mutants against: the verifier's and the reference solvers' unit
 * tests and the wasm golden tests (which pin the JS bound bit for bit). test/reference/lp-oracle is
 * left out: it takes ~20 s per run, and every mutant of exact.ts it would see is killed faster by
 * test/reference/exact.test.ts (docs/testing.md).
 *
 * NMSPARSE_MUTATE_TESTS (comma-separated globs) narrows the set for one run: a mutant that makes a
 * loop endless costs 1.5 × the run time of every test that covers it, so a file whose code the heavy
 * golden tests also reach finishes in a fraction of the time against its own tests. A narrower set can
 * only let more mutants survive, so a score measured with it is a lower bound (docs/testing.md).
 */
const only = process.env['NMSPARSE_MUTATE_TESTS']?.split(',').filter((glob) => glob !== '');

export default defineConfig({
  test: {
    include: only ?? ['test/verify/**/*.test.ts', 'test/reference/**/*.test.ts', 'test/backends/wasm-golden.test.ts'],
    exclude: ['test/reference/lp-oracle.test.ts'],
    // As in vitest.config.ts: the tests import src/ directly, so they install Node's runtime (where the wasm lies).
    setupFiles: ['test/support/nodeRuntime.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
