// @ts-check
/**
 * Mutation testing of the verifier and the reference solvers (issue 16): `npm run mutate`.
 * Each mutant runs only against the tests that executed its code (perTest coverage, measured in a dry
 * run over the test files of stryker.config.vitest.ts). Scores and the equivalent survivors are kept in
 * docs/testing.md. One file or folder at a time: `npm run mutate -- --mutate 'src/verify/*.ts'`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'stryker.config.vitest.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: ['src/verify/*.ts', 'src/reference/*.ts'],
  // One mutant at a time: the project's CI machine has 2 cores, and the tests are CPU-bound.
  concurrency: 1,
  // Build outputs are not inputs to the tests (the wasm kernels in build/ are, and are copied).
  // build/bench holds the bench build and a link back to the repository root (npm run bench): not a test input.
  ignorePatterns: ['dist', 'reports', 'bench/results*', 'build/bench'],
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
