// The layer rules of docs/design.md ("Layers"), checked on the import graph of src/: core depends on
// nothing, reference only on core, io knows no solver or backend, backends never reach up into the API,
// io or the CLI, and only the CLI imports the CLI.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The layer of a file under src/: its first folder, or 'api' for the files at the top. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split(/[\\/]/);
  return parts.length > 1 ? (parts[0] as string) : 'api';
}

/**
 * Every relative import (static, dynamic, type-only, re-export) of a module, as src-relative paths;
 * assets (src/edge.ts imports build/nmsparse.wasm) are not modules of a layer.
 */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+\.js)'/g)].map((m) => m[1] as string);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Which layers each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  reference: ['core'],
  io: ['core'],
  backends: ['core', 'reference'],
  verify: ['core', 'reference', 'backends'],
  prune: ['core', 'reference', 'backends', 'verify', 'api'],
  api: ['core', 'reference', 'backends', 'verify', 'prune'],
  audit: ['core', 'reference', 'io', 'verify', 'api'],
  testing: ['core', 'audit'],
  cli: ['core', 'api', 'io', 'verify', 'prune', 'backends', 'audit'],
};

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it('every source file sits in a known layer', () => {
    expect(files.length).toBeGreaterThan(30);
    for (const f of files) expect(Object.keys(ALLOWED), relative(SRC, f)).toContain(layerOf(f));
  });

  it('imports only point down the layers', () => {
    const violations: string[] = [];
    for (const f of files) {
      const from = layerOf(f);
      for (const target of importsOf(f)) {
        const to = layerOf(target);
        if (to !== from && !(ALLOWED[from] ?? []).includes(to)) {
          violations.push(`${relative(SRC, f)} (${from}) imports ${relative(SRC, target)} (${to})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
