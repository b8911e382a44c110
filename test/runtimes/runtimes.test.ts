// The package in the runtimes where users run it (issue 13; docs/runtimes.md): each runs the same exact
// 8:16 mask + certificate of a 64×64 matrix with backend 'wasm' (fixtures/scenario.mjs), from the packed
// tarball, and must report backend 'wasm', a valid mask, gap 0 and Node's objective. A runtime that is not
// installed here is reported skipped with the reason; every outcome goes to build/runtime-results/,
// from which scripts/runtime-table.mjs writes README's runtime table.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nmsparse from '../../src/index.js';
import { runScenario } from './fixtures/scenario.mjs';
import {
  ROOT,
  devBin,
  fetchWhenUp,
  freePort,
  lastJson,
  packedProject,
  record,
  removePackedProject,
  run,
  saveOutcomes,
  serve,
  sizeOf,
  start,
  type ScenarioReport,
} from './harness.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const installed = (pkg: string): boolean => existsSync(join(ROOT, 'node_modules', pkg, 'package.json'));
const built = existsSync(join(ROOT, 'dist/index.js')) && existsSync(join(ROOT, 'build/nmsparse.wasm'));

/** Why a browser case cannot run here, or '' when it can. */
const browserMissing = !CHROMIUM
  ? 'no Chromium (Debian: apt-get install chromium; scripts/ci-gpu-deps.sh --browser)'
  : !installed('playwright-core')
    ? 'playwright-core is not installed'
    : '';

let project = '';
let nodeObjective = 0;

beforeAll(async () => {
  nodeObjective = (await runScenario(nmsparse)).objective;
  if (built) project = await packedProject();
}, 180_000);

afterAll(() => {
  saveOutcomes('runtimes');
  removePackedProject();
});

/**
 * One runtime: skipped (with the reason in its title and in the record) when `missing` is non-empty,
 * else `body` runs the scenario there and its report must match Node's.
 */
function runtime(name: string, missing: string, body: () => Promise<ScenarioReport & { before?: unknown }>): void {
  const why = built ? missing : 'no build (npm run build)';
  if (why) {
    record({ runtime: name, kind: 'runtime', status: 'skipped', detail: why });
    it.skip(`${name} (skipped: ${why})`, () => {});
    return;
  }
  it(name, async () => {
    try {
      const report = await body();
      expect(report.error, report.error).toBeUndefined();
      expect(report.backend, report.wasmReason).toBe('wasm');
      expect(report.valid).toBe(true);
      expect(report.gap).toBe(0);
      expect(report.kept).toBe(64 * 64 / 2);
      expect(report.objective).toBe(nodeObjective);
      record({ runtime: name, kind: 'runtime', status: 'passed', detail: report.wasmReason ?? '' });
    } catch (e) {
      record({ runtime: name, kind: 'runtime', status: 'failed', detail: String((e as Error).message).split('\n')[0] as string });
      throw e;
    }
  });
}

const binMissing = (name: string): string => (devBin(name) ? '' : `npm package '${name}' is not installed`);

/** A packaging lint run on the repo (it packs the package itself); passes when the tool exits 0. */
function lint(name: string, bin: string, args: string[]): void {
  const missing = binMissing(bin);
  if (missing || !built) {
    const why = missing || 'no build (npm run build)';
    record({ runtime: name, kind: 'check', status: 'skipped', detail: why });
    it.skip(`${name} (skipped: ${why})`, () => {});
    return;
  }
  it(name, async () => {
    try {
      await run(devBin(bin) as string, args, { cwd: ROOT, timeoutMs: 120_000 });
      record({ runtime: name, kind: 'check', status: 'passed', detail: 'no problems' });
    } catch (e) {
      record({ runtime: name, kind: 'check', status: 'failed', detail: String((e as Error).message).split('\n')[0] as string });
      throw e;
    }
  });
}

/** Serves `main` (an ES module in `out`) and its .wasm modules in workerd on 127.0.0.1; the report it answers with. */
async function serveInWorkerd(out: string, main: string, wasmModules: readonly string[]): Promise<ScenarioReport> {
  const port = await freePort();
  writeFileSync(
    join(out, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "${main}", esModule = embed "${main}"),
${wasmModules.map((f) => `    (name = "${f}", wasm = embed "${f}"),`).join('\n')}
  ],
  compatibilityDate = "2025-01-01",
);
`,
  );
  const workerd = start(devBin('workerd') as string, ['serve', 'config.capnp'], out);
  try {
    return JSON.parse(await fetchWhenUp(`http://127.0.0.1:${port}/`, 20_000)) as ScenarioReport;
  } finally {
    workerd.kill();
  }
}

describe.sequential('runtimes', () => {
  it.skipIf(!built)('a default install is small and pulls no GPU packages', () => {
    const modules = join(project, 'node_modules');
    expect(existsSync(join(modules, 'gpu.js'))).toBe(false);
    expect(existsSync(join(modules, 'webgpu'))).toBe(false);
    expect(sizeOf(modules)).toBeLessThan(5 << 20);
  });

  lint('publint (package.json, exports, files)', 'publint', ['--strict']);

  // require('nmsparse') gets the ESM build through Node's require(esm) (docs/runtimes.md), which attw's
  // node16-from-CJS profile does not model; the .wasm subpath is an asset, not a module.
  lint('attw --pack (types for every resolution)', 'attw', [
    '--pack',
    '.',
    '--ignore-rules',
    'cjs-resolves-to-esm',
    '--exclude-entrypoints',
    'nmsparse.wasm',
  ]);

  runtime('Node (ESM import)', '', async () =>
    lastJson((await run(process.execPath, ['node-esm.mjs'], { cwd: project })).stdout),
  );

  runtime('Node (CommonJS require)', '', async () =>
    lastJson((await run(process.execPath, ['node-cjs.cjs'], { cwd: project })).stdout),
  );

  runtime('Node bundle (esbuild --platform=node)', installed('esbuild') ? '' : 'esbuild is not installed', async () => {
    const { build } = await import('esbuild');
    const out = join(project, 'out/node-bundle');
    await build({
      absWorkingDir: project,
      entryPoints: ['node-bundle.mjs'],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: join(out, 'bundle.mjs'),
      logLevel: 'error',
    });
    copyFileSync(join(project, 'node_modules/nmsparse/build/nmsparse-threads.wasm'), join(out, 'nmsparse-threads.wasm'));
    const r = lastJson((await run(process.execPath, ['bundle.mjs'], { cwd: out })).stdout) as ScenarioReport & {
      before?: { available: boolean; reason: string };
    };
    // Before the wasm is handed in, the backend says which file it tried, why it failed and what to do.
    expect(r.before?.available).toBe(false);
    expect(r.before?.reason).toMatch(/nmsparse-threads\.wasm: ENOENT.*configureWasm/);
    return r;
  });

  // bun's own bundler (--target=bun): like the Node bundle, the wasm shipped beside it is handed in.
  runtime('Bun bundle (bun build --target=bun)', binMissing('bun'), async () => {
    const out = join(project, 'out/bun-bundle');
    await run(devBin('bun') as string, ['build', 'node-bundle.mjs', '--target=bun', '--outfile', join(out, 'bundle.mjs')], { cwd: project });
    copyFileSync(join(project, 'node_modules/nmsparse/build/nmsparse-threads.wasm'), join(out, 'nmsparse-threads.wasm'));
    const r = lastJson((await run(devBin('bun') as string, ['bundle.mjs'], { cwd: out })).stdout) as ScenarioReport & {
      before?: { available: boolean; reason: string };
    };
    expect(r.before?.available).toBe(false);
    expect(r.before?.reason).toMatch(/nmsparse-threads\.wasm: ENOENT.*configureWasm/);
    return r;
  });

  // --allow-read only: reading NMSPARSE_THREADS must not need --allow-env.
  runtime('Deno (--allow-read only)', binMissing('deno'), async () =>
    lastJson((await run(devBin('deno') as string, ['run', '--allow-read', 'node-esm.mjs'], { cwd: project })).stdout),
  );

  runtime('Bun', binMissing('bun'), async () =>
    lastJson((await run(devBin('bun') as string, ['node-esm.mjs'], { cwd: project })).stdout),
  );

  runtime('Vercel edge-runtime (edge-light bundle)', installed('edge-runtime') && installed('esbuild') ? '' : 'edge-runtime or esbuild is not installed', async () => {
    const { build } = await import('esbuild');
    // As an edge bundler does: the edge-light entry, its .wasm import bundled (here as bytes).
    await build({
      absWorkingDir: project,
      entryPoints: ['edge-runtime.mjs'],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      conditions: ['edge-light', 'worker'],
      loader: { '.wasm': 'binary' },
      outfile: 'out/edge-runtime.js',
      logLevel: 'error',
    });
    const { EdgeRuntime } = await import('edge-runtime');
    const edge = new EdgeRuntime({ initialCode: readFileSync(join(project, 'out/edge-runtime.js'), 'utf8') });
    return JSON.parse((await edge.evaluate('globalThis.__report')) as string) as ScenarioReport;
  });

  runtime('Cloudflare workerd (workerd bundle)', installed('esbuild') ? binMissing('workerd') : 'esbuild is not installed', async () => {
    const { build } = await import('esbuild');
    const out = join(project, 'out/workerd');
    mkdirSync(out, { recursive: true });
    const wasmModules = new Set<string>();
    // As wrangler does: the workerd entry, its .wasm import kept as a Workers module (a WebAssembly.Module).
    await build({
      absWorkingDir: project,
      entryPoints: ['workerd.mjs'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['workerd', 'worker'],
      outfile: join(out, 'worker.js'),
      logLevel: 'error',
      plugins: [
        {
          name: 'wasm-as-module',
          setup(b) {
            b.onResolve({ filter: /\.wasm$/ }, async (args) => {
              if (args.pluginData === 'inner') return undefined;
              const found = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'inner' });
              const file = basename(found.path);
              copyFileSync(found.path, join(out, file));
              wasmModules.add(file);
              return { path: `./${file}`, external: true };
            });
          },
        },
      ],
    });
    return serveInWorkerd(out, 'worker.js', [...wasmModules]);
  });

  // wrangler's own bundling (deploy --dry-run writes the upload: the worker and its .wasm modules), served by
  // workerd as Cloudflare runs it. wrangler 3.97 is the last line that runs on Node 20 (4.x needs 22).
  runtime('Cloudflare wrangler (deploy --dry-run bundle, served by workerd)', binMissing('wrangler') || binMissing('workerd'), async () => {
    const out = join(project, 'out/wrangler');
    writeFileSync(join(project, 'wrangler.toml'), 'name = "nmsparse-runtime-test"\nmain = "workerd.mjs"\ncompatibility_date = "2025-01-01"\n');
    const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
    await run(devBin('wrangler') as string, ['deploy', '--dry-run', '--outdir', out], { cwd: project, env, timeoutMs: 120_000 });
    const files = readdirSync(out);
    const main = files.find((f) => f.endsWith('.js'));
    if (!main) throw new Error(`wrangler wrote no worker module to ${out}: ${files.join(', ')}`);
    return serveInWorkerd(out, main, files.filter((f) => f.endsWith('.wasm')));
  });

  describe.sequential('Chromium', () => {
    type Browser = Awaited<ReturnType<typeof import('playwright-core')['chromium']['launch']>>;
    let browser: Browser | undefined;
    const servers: Server[] = [];

    afterAll(async () => {
      await browser?.close();
      for (const s of servers) s.close();
    });

    /** Opens `path` under a static server of `root` and waits for the page's report. */
    async function report(root: string, path: string, isolated = false): Promise<ScenarioReport> {
      const { url, server } = await serve(root, isolated);
      servers.push(server);
      return reportAt(url + path);
    }

    /** Opens `url` and waits for the page's report (window.__report). */
    async function reportAt(url: string): Promise<ScenarioReport> {
      const { chromium } = await import('playwright-core');
      browser ??= await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(url);
        const handle = await page.waitForFunction(() => (window as { __report?: string }).__report, undefined, { timeout: 30_000 });
        return JSON.parse((await handle.jsonValue()) as string) as ScenarioReport;
      } catch (e) {
        throw new Error(`${(e as Error).message}; page errors: ${errors.join('; ')}`);
      } finally {
        await page.close();
      }
    }

    runtime('Chromium, unbundled (main thread, import map)', browserMissing, () => report(project, 'unbundled.html'));

    runtime('Chromium, unbundled (module Worker)', browserMissing, () => report(project, 'worker.html'));

    runtime('Chromium, cross-origin isolated (Web Worker pool)', browserMissing, async () => {
      const r = (await report(project, 'threads.html', true)) as ScenarioReport & {
        crossOriginIsolated: boolean;
        threads: number;
        sameMask: boolean;
        pooledMs: number;
        inlineMs: number;
      };
      expect(r.error, r.error).toBeUndefined();
      expect(r.crossOriginIsolated).toBe(true);
      expect(r.wasmReason).toMatch(/worker thread/);
      // Results never depend on the pool; the speed-up is reported, not asserted (timing).
      expect(r.sameMask).toBe(true);
      const speedup = r.inlineMs / r.pooledMs;
      console.info(
        `Web Worker pool: ${r.threads} threads, 1024×1024 exact 8:16 in ${r.pooledMs.toFixed(0)} ms ` +
          `vs ${r.inlineMs.toFixed(0)} ms inline (${speedup.toFixed(2)}×)`,
      );
      // The ratio stays out of the README table, which must not change from run to run.
      return r;
    });

    runtime('Chromium, esbuild browser bundle', browserMissing || (installed('esbuild') ? '' : 'esbuild is not installed'), async () => {
      const { build } = await import('esbuild');
      const out = join(project, 'out/esbuild');
      await build({
        absWorkingDir: project,
        entryPoints: ['esbuild-page.mjs'],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        loader: { '.wasm': 'file' },
        outfile: join(out, 'bundle.js'),
        logLevel: 'error',
      });
      writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="bundle.js"></script>');
      const r = (await report(out, 'index.html')) as ScenarioReport & { before?: { available: boolean; reason: string } };
      // Before the wasm is handed in, the backend says it is not there, which URL failed and what to do.
      expect(r.before?.available).toBe(false);
      expect(r.before?.reason).toMatch(/nmsparse\.wasm: HTTP 404.*configureWasm/);
      return r;
    });

    runtime('Chromium, Vite production build', browserMissing || (installed('vite') ? '' : 'vite is not installed'), async () => {
      const { build } = await import('vite');
      const out = join(project, 'out/vite');
      await build({
        root: project,
        logLevel: 'error',
        configFile: false,
        build: { outDir: out, emptyOutDir: true, rollupOptions: { input: join(project, 'vite.html') } },
      });
      return report(out, 'vite.html');
    });

    runtime('Chromium, Vite dev server', browserMissing || (installed('vite') ? '' : 'vite is not installed'), async () => {
      const { createServer } = await import('vite');
      const server = await createServer({
        root: project,
        logLevel: 'error',
        configFile: false,
        server: { host: '127.0.0.1', port: 0 },
      });
      await server.listen();
      try {
        return await reportAt(`${server.resolvedUrls?.local[0] as string}vite.html`);
      } finally {
        await server.close();
      }
    });
  });
});
