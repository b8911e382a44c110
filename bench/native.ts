import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy } from '../src/io/npy.js';
import type { Matrix } from '../src/core/matrix.js';

/** One run of the native tool (`nmx`), as it reports itself (best of `reps` timed repetitions). */
export interface NativeRun {
  method: string;
  threads: number;
  reps: number;
  seconds: number;
  objective: number;
  valid: boolean;
}

export type NativeTool =
  | { available: true; binary: string; workDir: string }
  | { available: false; reason: string };

/**
 * Where the optional native reference (nmx.c; docs/benchmarks.md, "Method": not part of this repository
 * or the package) lives: --native-ref, else the NMSPARSE_NATIVE_REF environment variable; relative paths
 * from the repository root. Undefined when neither names a folder holding nmx.c.
 */
export function findNativeSource(explicit: string | undefined, repoRoot: string): string | undefined {
  const dir = explicit ?? process.env.NMSPARSE_NATIVE_REF;
  if (!dir) return undefined;
  const at = resolve(repoRoot, dir);
  return existsSync(join(at, 'nmx.c')) ? at : undefined;
}

export function repoRoot(): string {
  // bench/*.ts, or build/bench/bench/*.js once compiled: the root holds package.json.
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('bench: cannot find the repository root (package.json)');
    dir = parent;
  }
  return dir;
}

/** The checkout's commit, or undefined outside a git checkout. */
export function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Builds nmx.c with the flags of the native reference's Makefile into a temporary directory. */
export function buildNativeTool(sourceDir: string | undefined): NativeTool {
  if (!sourceDir) return { available: false, reason: 'native reference (nmx.c, docs/benchmarks.md) not found; pass --native-ref DIR or set NMSPARSE_NATIVE_REF' };
  const workDir = mkdtempSync(join(tmpdir(), 'nmsparse-native-'));
  const binary = join(workDir, 'nmx');
  try {
    execFileSync(
      'gcc',
      ['-O2', '-march=x86-64-v2', '-I', sourceDir, '-o', binary, join(sourceDir, 'nmx.c'), '-lm', '-lpthread'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { available: false, reason: `no C compiler could build nmx.c (${detail})` };
  }
  return { available: true, binary, workDir };
}

export function writeNativeInput(tool: { workDir: string }, matrix: Matrix, name: string): string {
  const path = join(tool.workDir, `${name}.npy`);
  writeFileSync(path, encodeNpy(matrix.data, [matrix.rows, matrix.cols], 'f32'));
  return path;
}

export function runNative(
  tool: { binary: string },
  input: string,
  method: string,
  n: number,
  m: number,
  threads: number,
  reps: number,
): NativeRun {
  const args = [method, input, '--n', String(n), '--m', String(m), '--threads', String(threads), '--reps', String(reps)];
  const line = execFileSync(tool.binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const report = JSON.parse(line) as { seconds: number; objective: number; valid: boolean };
  return { method, threads, reps, seconds: report.seconds, objective: report.objective, valid: report.valid };
}

export function removeNativeTool(tool: NativeTool): void {
  if (tool.available) rmSync(tool.workDir, { recursive: true, force: true });
}
