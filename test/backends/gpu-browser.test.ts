// The gpu backend in a real browser: headless Chromium, WebGPU on SwiftShader (a software GPU),
// gpu.js's browser build loaded by a <script> tag, nmsparse's compiled ES modules from dist/.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GPU_JS_BROWSER = join(ROOT, 'node_modules/gpu.js/dist/gpu-browser.min.js');
const DIST = join(ROOT, 'dist') + sep;
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const built = existsSync(join(DIST, 'backends/gpu.js'));
const missing = !CHROMIUM
  ? 'no Chromium (Debian: apt-get install chromium)'
  : !built
    ? 'no dist/ build (npm run build)'
    : !existsSync(GPU_JS_BROWSER)
      ? 'gpu.js is not installed'
      : '';
if (missing) console.warn(`gpu browser test SKIPPED: ${missing}`);

/** The page: runs the gpu and reference backends on the same tiles and reports through a GET. */
const PAGE = `<!doctype html><meta charset="utf-8"><script src="/gpu-browser.min.js"></script>
<script type="module">
const report = (r) => { location.href = '/report?' + encodeURIComponent(JSON.stringify(r)); };
try {
  await import('/dist/backends/gpu.js');
  await import('/dist/backends/reference.js');
  const { backendInfo, getKernel } = await import('/dist/backends/registry.js');
  const { gatherTiles, maskedSum } = await import('/dist/core/matrix.js');
  const { gaussianMatrix } = await import('/dist/core/random.js');
  const availability = await backendInfo('gpu');
  const r = { availability };
  if (availability.available) {
    const x = gaussianMatrix(64, 64, 5);
    x.data.forEach((v, k) => (x.data[k] = Math.abs(v)));
    const batch = { tiles: gatherTiles(x, 16), count: 16, m: 16 };
    const options = { tau: 50, iterations: 100, stages: 1, localSearchSteps: 32 };
    const args = { batch, n: 8, fill: 'exact', options };
    r.tsenor = [maskedSum(batch.tiles, await getKernel('tsenorTiles', 'gpu')(args, {})),
                maskedSum(batch.tiles, await getKernel('tsenorTiles', 'reference')(args, {}))];
    const g = await getKernel('greedyTiles', 'gpu')(args, {});
    const ref = await getKernel('greedyTiles', 'reference')(args, {});
    r.greedyIdentical = g.every((v, k) => v === ref[k]);
  }
  report(r);
} catch (e) { report({ error: String((e && e.stack) || e) }); }
</script>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html' };

let server: Server | undefined;
let browser: ChildProcess | undefined;
afterAll(() => {
  browser?.kill();
  server?.close();
});

/** Serves the page, gpu.js and dist/ on 127.0.0.1 and resolves with what the page reports. */
function servePage(): Promise<{ url: string; report: Promise<Record<string, unknown>> }> {
  return new Promise((ready) => {
    let deliver: (r: Record<string, unknown>) => void = () => {};
    const report = new Promise<Record<string, unknown>>((resolve) => (deliver = resolve));
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/report') deliver(JSON.parse(decodeURIComponent(url.search.slice(1))));
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
        return;
      }
      const file = url.pathname === '/gpu-browser.min.js' ? GPU_JS_BROWSER : join(ROOT, normalize(url.pathname));
      if ((file === GPU_JS_BROWSER || file.startsWith(DIST)) && existsSync(file)) {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
      } else {
        res.writeHead(404).end();
      }
    });
    server.listen(0, '127.0.0.1', () => {
      ready({ url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`, report });
    });
  });
}

describe.skipIf(missing !== '')(`gpu backend in headless Chromium (WebGPU on SwiftShader)${missing ? ` — SKIPPED: ${missing}` : ''}`, () => {
  it('runs the kernels on the browser WebGPU adapter and agrees with the reference', async () => {
    const { url, report } = await servePage();
    browser = spawn(
      CHROMIUM!,
      [
        '--headless=new',
        '--no-sandbox',
        '--disable-background-networking',
        '--no-first-run',
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--use-vulkan=swiftshader',
        '--use-webgpu-adapter=swiftshader',
        '--use-angle=swiftshader',
        url,
      ],
      { stdio: 'ignore' },
    );
    const r = (await report) as {
      error?: string;
      availability?: { available: boolean; reason: string };
      tsenor?: [number, number];
      greedyIdentical?: boolean;
    };
    expect(r.error).toBeUndefined();
    expect(r.availability?.available, r.availability?.reason).toBe(true);
    expect(r.availability?.reason).toMatch(/navigator\.gpu/);
    expect(r.greedyIdentical).toBe(true);
    const [ours, ref] = r.tsenor!;
    expect(Math.abs(ours - ref) / ref).toBeLessThanOrEqual(5e-4);
  }, 120_000);
});
