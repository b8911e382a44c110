// The kernel mutant list (test/mutants/kernels.json, run by `npm run mutate:kernels`) stays in step
// with the kernels: each mutant's search text occurs exactly once in its file, so a change to a kernel
// that moves or copies a mutated line shows here, not first when someone runs the slow mutation script.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const mutants = JSON.parse(readFileSync(ROOT + 'test/mutants/kernels.json', 'utf8')) as Array<{
  id: string;
  file: string;
  search: string;
  replace: string;
  note?: string;
  equivalent?: string;
}>;

describe('kernel mutants', () => {
  it('have unique ids, a note (or why they are equivalent), and a replacement unlike the search text', () => {
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
    for (const m of mutants) {
      expect((m.note ?? m.equivalent ?? '').length, m.id).toBeGreaterThan(0);
      expect(m.replace, m.id).not.toBe(m.search);
    }
  });

  it.each(mutants.map((m) => [m.id, m] as const))('%s: its search text occurs once in its file', (_, m) => {
    const source = readFileSync(ROOT + m.file, 'utf8');
    expect(source.split(m.search).length - 1).toBe(1);
  });
});
