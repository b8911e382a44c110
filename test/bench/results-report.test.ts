import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BEGIN_MARKER,
  END_MARKER,
  loadResultsFiles,
  renderResults,
  replaceGenerated,
  type ResultsFile,
} from '../../bench/results-report.js';
import { machineId, runDay, writeNewResultsFile, type Results } from '../../bench/results.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function results(date: string, cpuModel = 'AMD EPYC', command = 'npm run bench -- --quick'): Results {
  return {
    info: {
      date,
      node: 'v20.0.0',
      platform: 'linux x64',
      cpus: 2,
      cpuModel,
      quick: true,
      backends: ['reference: pure TypeScript'],
      command,
      commit: '0123456789abcdef',
      loadAverage: { start: 1, end: 1.5 },
    },
    rows: [],
  };
}

function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'nmsparse-results-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('bench results files', () => {
  it('names a machine by CPU model and cores, in [a-z0-9-] only', () => {
    expect(machineId('AMD EPYC', 2)).toBe('amd-epyc-2c');
    expect(machineId('Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz', 8)).toBe('intel-xeon-platinum-8375c-cpu-8c');
    expect(machineId('', 4)).toBe('unknown-cpu-4c');
    expect(machineId('../../etc/passwd', 1)).toBe('etc-passwd-1c');
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 1, max: 1024 }), (model, cores) => {
        const id = machineId(model, cores);
        expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*-\d+c$/);
        expect(id.length).toBeLessThanOrEqual(60 + 6);
      }),
      { seed: 20261201, numRuns: 300 },
    );
  });

  it('takes the UTC day of the run and refuses a date it cannot read', () => {
    expect(runDay('2026-11-22T04:17:14.881Z')).toBe('2026-11-22');
    expect(() => runDay('yesterday')).toThrow(/ISO date/);
  });

  it('never overwrites: a second and third run on the same day get -2 and -3', () => {
    withTempDir((dir) => {
      const first = writeNewResultsFile(dir, results('2026-12-01T10:00:00.000Z', 'Test CPU', 'first'));
      const second = writeNewResultsFile(dir, results('2026-12-01T11:00:00.000Z', 'Test CPU', 'second'));
      const third = writeNewResultsFile(dir, results('2026-12-01T12:00:00.000Z', 'Test CPU', 'third'));
      expect([first, second, third]).toEqual(
        ['2026-12-01.json', '2026-12-01-2.json', '2026-12-01-3.json'].map((f) => join(dir, 'test-cpu-2c', f)),
      );
      expect((JSON.parse(readFileSync(first, 'utf8')) as Results).info.command).toBe('first');
      expect((JSON.parse(readFileSync(third, 'utf8')) as Results).info.command).toBe('third');
      expect(readdirSync(join(dir, 'test-cpu-2c')).sort()).toEqual(['2026-12-01-2.json', '2026-12-01-3.json', '2026-12-01.json']);
    });
  });
});

describe('bench:report', () => {
  it('lists machines by name and each machine\'s runs newest first, each with its command', () => {
    const files: ResultsFile[] = [
      { machine: 'b-2c', file: '2026-11-01.json', results: results('2026-11-01T00:00:00.000Z', 'B', 'old b') },
      { machine: 'a-2c', file: '2026-11-05.json', results: results('2026-11-05T00:00:00.000Z', 'A', 'a') },
      { machine: 'b-2c', file: '2026-11-09.json', results: results('2026-11-09T08:00:00.000Z', 'B', 'new b') },
      { machine: 'b-2c', file: '2026-11-09-2.json', results: results('2026-11-09T08:00:00.000Z', 'B', 'newest b') },
    ];
    const text = renderResults(files);
    const order = ['### a-2c · 2026-11-05', '### b-2c · 2026-11-09-2', '### b-2c · 2026-11-09', '### b-2c · 2026-11-01'];
    const positions = order.map((heading) => text.indexOf(`${heading}\n`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    for (const command of ['`a`', '`old b`', '`new b`', '`newest b`']) expect(text).toContain(command);
    expect(renderResults([])).toMatch(/No results files yet/);
  });

  it('replaces only the text between the markers, and refuses a page without them', () => {
    const page = `# Title\n\nbefore\n\n${BEGIN_MARKER}\nold table\n${END_MARKER}\n\nafter\n`;
    const updated = replaceGenerated(page, 'NEW');
    expect(updated).toBe(`# Title\n\nbefore\n\n${BEGIN_MARKER}\n\nNEW\n\n${END_MARKER}\n\nafter\n`);
    expect(replaceGenerated(updated, 'NEW')).toBe(updated);
    expect(() => replaceGenerated('no markers', 'x')).toThrow(/must hold/);
    expect(() => replaceGenerated(`${END_MARKER}\n${BEGIN_MARKER}`, 'x')).toThrow(/must hold/);
    expect(() => replaceGenerated(`${BEGIN_MARKER}${BEGIN_MARKER}${END_MARKER}`, 'x')).toThrow(/must hold/);
  });

  it('reads machine folders and skips hidden temporaries and other benches\' subfolders', () => {
    withTempDir((dir) => {
      writeNewResultsFile(dir, results('2026-12-01T10:00:00.000Z'));
      writeFileSync(join(dir, 'amd-epyc-2c', '.2026-12-01.json.tmp-1'), '{');
      const other = { info: { date: '2026-12-01T11:00:00.000Z', cpus: 2, cpuModel: 'AMD EPYC' }, layers: [] };
      const first = writeNewResultsFile(dir, other, 'prune-layers');
      const second = writeNewResultsFile(dir, other, 'prune-layers');
      expect([first, second]).toEqual(['2026-12-01.json', '2026-12-01-2.json'].map((f) => join(dir, 'amd-epyc-2c', 'prune-layers', f)));
      const files = loadResultsFiles(dir);
      expect(files.map((f) => `${f.machine}/${f.file}`)).toEqual(['amd-epyc-2c/2026-12-01.json']);
    });
  });

  it('docs/benchmarks.md holds the tables of every file under bench/results (run npm run bench:report)', () => {
    const page = readFileSync(join(ROOT, 'docs', 'benchmarks.md'), 'utf8');
    const files = loadResultsFiles(join(ROOT, 'bench', 'results'));
    expect(files.length).toBeGreaterThan(0);
    expect(replaceGenerated(page, renderResults(files))).toBe(page);
  });
});
