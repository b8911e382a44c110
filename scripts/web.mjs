#!/usr/bin/env node
// `npm run web`: builds the demo page (web/) into build/web with esbuild and serves it on 127.0.0.1,
// cross-origin isolated (COOP/COEP), so that the wasm backend runs on its Web Worker pool.
//   node scripts/web.mjs [--port N] [--build-only]
// The bundle leaves node:* external: the byte parsers it uses never load them (docs/runtimes.md).
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_OUT = join(ROOT, 'build/web');

/** Bundles web/demo.ts and copies the page and both wasm builds into `out`. */
export async function buildDemo(out = WEB_OUT) {
  const { build } = await import('esbuild');
  mkdirSync(out, { recursive: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['web/demo.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['node:*'],
    outfile: join(out, 'demo.js'),
    logLevel: 'error',
  });
  copyFileSync(join(ROOT, 'web/index.html'), join(out, 'index.html'));
  for (const file of ['nmsparse.wasm', 'nmsparse-threads.wasm']) copyFileSync(join(ROOT, 'build', file), join(out, file));
  return out;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Serves `dir` on 127.0.0.1:`port` (0: any free port), cross-origin isolated; resolves with the URL. */
export function serveDemo(dir = WEB_OUT, port = 0) {
  const base = normalize(dir + sep);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = normalize(join(base, path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(base) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      })
      .end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}/`, server })),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('usage: node scripts/web.mjs [--port N] [--build-only]');
    process.exit(2);
  }
  if (!existsSync(join(ROOT, 'build/nmsparse.wasm'))) {
    console.error('no build/nmsparse.wasm: run `npm run build` first');
    process.exit(1);
  }
  await buildDemo();
  if (!args.includes('--build-only')) {
    const { url } = await serveDemo(WEB_OUT, port);
    console.log(`nmsparse demo: ${url} (Ctrl-C stops)`);
  }
}
