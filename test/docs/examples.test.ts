// Every ```js example in README.md and docs/*.md runs as written: each block is saved as an ES module
// inside the package (so `import … from 'nmsparse'` resolves to the built dist/ through the package's own
// exports) and run by Node; it must exit 0. Needs `npm run build` first, as CI does. Blocks that ask for
// the gpu backend are skipped here: they need a WebGPU adapter, and test/backends/gpu*.test.ts cover it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Example {
  page: string;
  index: number;
  code: string;
}

function examples(page: string): Example[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((match, index) => ({ page, index, code: match[1] ?? '' }));
}

const all = PAGES.flatMap(examples);
const needsGpu = (e: Example) => /backend:\s*'gpu'/.test(e.code);
const workDir = mkdtempSync(join(ROOT, 'build', 'doc-examples-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('documentation examples', () => {
  it('finds examples in README.md and docs/api.md', () => {
    expect(all.filter((e) => e.page === 'README.md').length).toBeGreaterThan(0);
    expect(all.filter((e) => e.page === 'docs/api.md').length).toBeGreaterThan(5);
  });

  for (const example of all) {
    const name = `${example.page}, example ${example.index + 1}`;
    if (needsGpu(example)) {
      it.skip(`${name} (asks for the gpu backend: covered by the gpu tests)`, () => {});
      continue;
    }
    it(`${name} runs`, { timeout: 120_000 }, async () => {
      const file = join(workDir, `${example.page.replace(/[^a-z0-9]+/gi, '-')}-${example.index}.mjs`);
      writeFileSync(file, example.code);
      // Single-threaded wasm keeps the examples light on a shared machine; results do not depend on it.
      const env = { ...process.env, NMSPARSE_THREADS: '1' };
      await expect(promisify(execFile)(process.execPath, [file], { cwd: workDir, env, timeout: 110_000 })).resolves.toBeDefined();
    });
  }
});
