#!/usr/bin/env node
// Mutation testing of the AssemblyScript kernels, where StrykerJS does not reach (issue 16):
// `npm run mutate:kernels [-- id ...]`.
//
// For each mutant of test/mutants/kernels.json (file, search text, replacement, note; `equivalent`
// with a reason for one that cannot change behaviour) it copies the repository's tracked files to a
// temporary folder, applies the mutant there, rebuilds the wasm with the project's own build script
// into that folder's build/, and runs the conformance suite, the wasm backend tests and the wasm
// golden tests against that build (the loader's NMSPARSE_WASM_DIR hook). A failing test run kills the
// mutant. First the unmutated copy is built and must pass, so a broken build or hook cannot pass for
// a killed mutant.
//
// Exits non-zero when a mutant that is not marked equivalent survives, when a mutant's search text
// does not occur exactly once (the list is stale: update it with the kernels), or when a build fails.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TESTS = [
  'test/backends/conformance.test.ts',
  'test/backends/wasm.test.ts',
  'test/backends/wasm-golden.test.ts',
  'test/prune/linalg.test.ts',
];
/** Per test run; a mutant that hangs the kernel counts as killed by timeout. */
const TEST_TIMEOUT_MS = 10 * 60 * 1000;

const all = JSON.parse(readFileSync(join(root, 'test/mutants/kernels.json'), 'utf8'));
const wanted = process.argv.slice(2);
const mutants = wanted.length ? all.filter((m) => wanted.includes(m.id)) : all;
if (wanted.length && mutants.length !== wanted.length) {
  console.error(`kernel-mutants: unknown id among ${wanted.join(', ')}`);
  process.exit(2);
}

/** A fresh copy of the tracked files (node_modules linked), with `edit` applied to one file. */
function copyTree(edit) {
  const dir = mkdtempSync(join(tmpdir(), 'nmsparse-kernel-mutant-'));
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  if (edit) writeFileSync(join(dir, edit.file), edit.text);
  return dir;
}

function build(dir) {
  const r = spawnSync(process.execPath, [join(dir, 'scripts/build-wasm.mjs')], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stdout + r.stderr).trim().split('\n').slice(-5).join('\n');
}

/** Runs the conformance tests against the wasm in `dir`/build; returns the first failing test, or undefined. */
function runTests(dir) {
  const r = spawnSync('npx', ['vitest', 'run', '--bail=1', ...TESTS], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NMSPARSE_WASM_DIR: join(dir, 'build') },
    timeout: TEST_TIMEOUT_MS,
  });
  if (r.error?.code === 'ETIMEDOUT') return 'timeout';
  if (r.status === 0) return undefined;
  const failed = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => /^\s*(×|FAIL)/.test(l));
  return (failed ?? `exit ${r.status}`).trim();
}

let failures = 0;
const baseline = copyTree();
try {
  const error = build(baseline) ?? runTests(baseline);
  if (error) {
    console.error(`kernel-mutants: the unmutated kernels do not pass: ${error}`);
    process.exit(1);
  }
} finally {
  rmSync(baseline, { recursive: true, force: true });
}

const rows = [];
for (const m of mutants) {
  const source = readFileSync(join(root, m.file), 'utf8');
  const hits = source.split(m.search).length - 1;
  let status;
  let detail = m.note;
  if (hits !== 1) {
    status = 'STALE';
    detail = `search text found ${hits} times in ${m.file}: update test/mutants/kernels.json`;
    failures++;
  } else {
    const dir = copyTree({ file: m.file, text: source.replace(m.search, m.replace) });
    try {
      const buildError = build(dir);
      if (buildError) {
        status = 'NO BUILD';
        detail = buildError;
        failures++;
      } else {
        const failed = runTests(dir);
        if (failed) {
          status = 'killed';
          detail = `${m.note} — ${failed}`;
        } else if (m.equivalent) {
          status = 'equivalent';
          detail = m.equivalent;
        } else {
          status = 'SURVIVED';
          failures++;
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rows.push({ id: m.id, status });
  console.log(`${status.padEnd(10)} ${m.id}: ${detail}`);
}
const killed = rows.filter((r) => r.status === 'killed').length;
const counted = rows.filter((r) => r.status !== 'equivalent').length;
console.log(`\nkernel mutants: ${killed} of ${counted} non-equivalent killed${failures ? `, ${failures} failing` : ''}`);
process.exit(failures ? 1 : 0);
