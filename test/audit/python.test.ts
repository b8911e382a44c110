// The Python example of docs/verification.md, audited as the docs show; it needs python3 with NumPy.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit } from '../../src/audit/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/audit/transposable24.py');

function numpyMissing(): string {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error) return `python3 is not installed (${(probe.error as NodeJS.ErrnoException).code})`;
  if (probe.status !== 0) return 'python3 has no NumPy (Debian: apt-get install python3-numpy)';
  return '';
}
const missing = numpyMissing();

describe.skipIf(missing !== '')(`examples/audit/transposable24.py${missing ? ` — SKIPPED: ${missing}` : ''}`, () => {
  it('is exact on every family: all cases valid, gap 0', async () => {
    const summary = await audit(['python3', EXAMPLE, '{in}', '{out}'], { n: 2, m: 4, transposable: true, cases: 6, seed: 1440 });
    expect(summary.failures.map((f) => f.message)).toEqual([]);
    expect([summary.valid, summary.maxGap]).toEqual([6, 0]);
  });
});
