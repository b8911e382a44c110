// The demo page (`npm run web`; docs/runtimes.md) in Chromium: a .npy file is handed to its file input,
// an exact transposable 8:16 mask is computed on backend 'wasm' (on the Web Worker pool: the page is
// cross-origin isolated), and the page must show Node's objective and a zero gap, draw the tile picture
// (kept and dropped cells in half each) and the histogram, and download a safetensors file holding
// Node's mask. A screenshot of the pictures is left in build/demo-screenshot.png.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scoresFrom, transposableMask } from '../../src/index.js';
import { encodeNpy } from '../../src/io/npy.js';
import { SafetensorsReader, fileSource } from '../../src/io/safetensors.js';
import { buildDemo, serveDemo } from '../../scripts/web.mjs';
import { lcgMatrix } from './fixtures/scenario.mjs';
import { ROOT, record, saveOutcomes } from './harness.js';

const NAME = 'Chromium, demo page (npm run web)';
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const installed = (pkg: string): boolean => existsSync(join(ROOT, 'node_modules', pkg, 'package.json'));
const missing = !CHROMIUM
  ? 'no Chromium (Debian: apt-get install chromium; scripts/ci-gpu-deps.sh --browser)'
  : !installed('playwright-core') || !installed('esbuild')
    ? 'playwright-core or esbuild is not installed'
    : !existsSync(join(ROOT, 'build/nmsparse.wasm'))
      ? 'no build (npm run build)'
      : '';

const KEPT = [0x1f, 0x5f, 0xbf];
const DROPPED = [0xf0, 0xa0, 0x50];

let server: Server | undefined;
const work = mkdtempSync(join(tmpdir(), 'nmsparse-demo-'));
afterAll(() => {
  server?.close();
  rmSync(work, { recursive: true, force: true });
  saveOutcomes('demo');
});

describe('demo page', () => {
  if (missing) {
    record({ runtime: NAME, kind: 'check', status: 'skipped', detail: missing });
    it.skip(`${NAME} (skipped: ${missing})`, () => {});
    return;
  }

  it(NAME, async () => {
    try {
      const weights = lcgMatrix(64, 64);
      const want = await transposableMask(scoresFrom(weights, 'abs'), { n: 8, m: 16, method: 'exact', backend: 'wasm' });
      const npy = join(work, 'weights.npy');
      writeFileSync(npy, encodeNpy(weights.data, [64, 64], 'f32'));

      const out = await buildDemo(join(work, 'site'));
      const served = await serveDemo(out);
      server = served.server;
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync'],
      });
      try {
        const page = await browser.newPage();
        await page.goto(served.url);
        await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('ready'));
        await page.setInputFiles('#file', npy);
        await page.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
        await page.selectOption('#pattern', '8:16');
        await page.selectOption('#method', 'exact');
        await page.selectOption('#backend', 'wasm');
        await page.click('#run');
        await page.waitForFunction(() => /^(done|E_)/.test(document.getElementById('status')?.textContent ?? ''), undefined, {
          timeout: 30_000,
        });
        expect(await page.textContent('#status')).toMatch(/^done: 1 mask/);
        const cells = await page.$$eval('#results tbody td', (tds) => tds.map((td) => td.textContent));
        expect(cells).toEqual(['array', '64×64', want.objective.toFixed(4), '0.00%', expect.any(String), 'wasm']);
        expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

        // The tile picture: every cell drawn kept or dropped, half each (8 of 16 per row of a tile).
        const counts = await page.evaluate(
          ([kept, dropped]) => {
            const count = (id: string) => {
              const c = document.getElementById(id) as HTMLCanvasElement;
              const px = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
              let k = 0;
              let d = 0;
              for (let i = 0; i < px.length; i += 4) {
                const rgb = [px[i], px[i + 1], px[i + 2]];
                if (rgb.every((v, j) => v === kept[j])) k++;
                else if (rgb.every((v, j) => v === dropped[j])) d++;
              }
              return { k, d };
            };
            return { tiles: count('tiles'), histogram: count('histogram') };
          },
          [KEPT, DROPPED],
        );
        expect(counts.tiles.k).toBeGreaterThan(0);
        expect(Math.abs(counts.tiles.k - counts.tiles.d) / (counts.tiles.k + counts.tiles.d)).toBeLessThan(0.05);
        expect(counts.histogram.k).toBeGreaterThan(0);
        expect(counts.histogram.d).toBeGreaterThan(0);
        const shot = join(ROOT, 'build/demo-screenshot.png');
        await page.locator('#pictures').screenshot({ path: shot });
        expect(statSync(shot).size).toBeGreaterThan(1000);

        // The download: a safetensors file with Node's mask under the tensor's name.
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
        expect(download.suggestedFilename()).toBe('masks.safetensors');
        const reader = await SafetensorsReader.open(await fileSource(await download.path()));
        const info = reader.tensor('array');
        expect([info.dtype, info.shape]).toEqual(['U8', [64, 64]]);
        expect(await reader.readMask(info)).toEqual(want.mask);
        await reader.close();
      } finally {
        await browser.close();
      }
      record({ runtime: NAME, kind: 'check', status: 'passed', detail: 'backend wasm: .npy in; objective, zero gap, both pictures, the .safetensors of masks out' });
    } catch (e) {
      record({ runtime: NAME, kind: 'check', status: 'failed', detail: String((e as Error).message).split('\n')[0] as string });
      throw e;
    }
  });
});
