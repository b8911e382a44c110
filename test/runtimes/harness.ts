// What the runtime tests share (docs/runtimes.md): the package packed and installed the way a user gets
// it, a static server, child processes with time limits, and the record of each runtime's outcome that
// scripts/runtime-table.mjs turns into README's runtime table.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** One JSON file of outcomes per test file (they run in parallel), read by scripts/runtime-table.mjs. */
export const RESULTS = join(ROOT, 'build/runtime-results');

/** A tool from the repo's devDependencies, or undefined when it is not installed. */
export function devBin(name: string): string | undefined {
  const path = join(ROOT, 'node_modules/.bin', name);
  return existsSync(path) ? path : undefined;
}

/** Runs a command to its end within `timeoutMs`; rejects with its stderr on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = { cwd: ROOT },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, env: options.env ?? process.env, maxBuffer: 32 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** The last line of a program's output that is a JSON object (the scenario's report). */
export function lastJson(stdout: string): ScenarioReport {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON report in the output:\n${stdout.slice(-2000)}`);
  return JSON.parse(line) as ScenarioReport;
}

/** What fixtures/scenario.mjs reports (or `error` when it threw). */
export interface ScenarioReport {
  backend?: string;
  objective?: number;
  kept?: number;
  valid?: boolean;
  gap?: number;
  wasmReason?: string;
  error?: string;
}

let packed: string | undefined;

/**
 * A fresh project with the packed package installed from its tarball (as `npm i nmsparse` would, the
 * optional GPU peers left out) and the fixtures copied in; made once per test file.
 */
export async function packedProject(): Promise<string> {
  if (packed) return packed;
  const dir = mkdtempSync(join(tmpdir(), 'nmsparse-runtimes-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, timeoutMs: 120_000 });
  const tarball = join(dir, stdout.trim().split('\n').pop() as string);
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'runtime-test', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project, timeoutMs: 120_000 });
  cpSync(FIXTURES, project, { recursive: true });
  packed = project;
  return project;
}

/** Deletes the temporary project (and the tarball beside it). */
export function removePackedProject(): void {
  if (packed) rmSync(dirname(packed), { recursive: true, force: true });
  packed = undefined;
}

/** Bytes under `dir` (to check the size of an install). */
export function sizeOf(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    total += e.isDirectory() ? sizeOf(path) : readFileSync(path).length;
  }
  return total;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/**
 * Serves `root` on 127.0.0.1; `isolated` adds the headers that make a page cross-origin isolated
 * (COOP/COEP). Only files under `root` are served.
 */
export function serve(root: string, isolated = false): Promise<{ url: string; server: Server }> {
  const base = normalize(root + sep);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = normalize(join(base, path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(base) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
    if (isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers).end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server }),
    ),
  );
}

/** A port free on 127.0.0.1 right now (for servers that take a fixed address, like workerd). */
export function freePort(): Promise<number> {
  const probe = createServer();
  return new Promise((resolve) =>
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    }),
  );
}

/** Starts a long-running process; the caller kills it. */
export function start(command: string, args: string[], cwd: string): ChildProcess {
  return spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** GETs `url` until it answers (a server that is still starting), for at most `timeoutMs`. */
export async function fetchWhenUp(url: string, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await (await fetch(url)).text();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** One row of README's table: a runtime running the scenario, or a packaging check. */
export interface Outcome {
  runtime: string;
  kind: 'runtime' | 'check';
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
}
const outcomes: Outcome[] = [];

/** Notes one runtime's outcome for the README table. */
export function record(outcome: Outcome): void {
  outcomes.push(outcome);
}

/**
 * Writes this test file's outcomes to build/runtime-results/<file>.json; rows of an earlier run that this
 * run did not reach (a `-t` filter) are kept, in their place.
 */
export function saveOutcomes(file: string): void {
  const path = join(RESULTS, `${file}.json`);
  let earlier: Outcome[] = [];
  try {
    earlier = JSON.parse(readFileSync(path, 'utf8')) as Outcome[];
  } catch {
    // First run: no file yet.
  }
  const fresh = new Map(outcomes.map((o) => [o.runtime, o]));
  const merged = earlier.map((o) => fresh.get(o.runtime) ?? o);
  for (const o of outcomes) if (!earlier.some((e) => e.runtime === o.runtime)) merged.push(o);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path, JSON.stringify(merged, null, 2) + '\n');
}
