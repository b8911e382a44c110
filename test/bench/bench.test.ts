import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUICK_LIMITS, parseRunOptions } from '../../bench/args.js';
import { formatGapTable, measureGaps } from '../../bench/gap-report.js';
import { maskCase, maskSuite } from '../../bench/mask-suite.js';
import { addReferenceSpeedups, writeJsonAtomic, type CaseRow } from '../../bench/results.js';
import { chosenBackends, scheduleCase } from '../../bench/schedule.js';
import type { Measured } from '../../bench/suite.js';
import { formatTable } from '../../bench/table.js';
import { timeCall } from '../../bench/timing.js';

const tinyPlan = { maxSamples: 3, budgetSeconds: 100, singleCallSeconds: 5 };

function measured(seconds: number): Measured {
  return {
    medianSeconds: seconds,
    minSeconds: seconds,
    samples: 3,
    throughput: 1 / seconds,
    throughputUnit: 'tiles/s',
    gap: 0.001,
    peakRssMiB: 100,
    baselineRssMiB: 60,
    inputMiB: 4,
  };
}

describe('bench: mask suite', () => {
  it('measures a tiny case through the public API, with a certified gap outside the timing', async () => {
    for (const method of ['standard', 'exact', 'greedy', 'tsenor'] as const) {
      const c = maskCase(method, 'reference', 64, 2, 4);
      const m = await maskSuite.measure(c, tinyPlan);
      expect(m.samples).toBe(3);
      expect(m.medianSeconds).toBeGreaterThan(0);
      expect(m.throughput).toBeCloseTo((16 * 16) / m.medianSeconds, 6);
      expect(m.gap).toBeGreaterThanOrEqual(0);
      if (method === 'exact' || method === 'standard') expect(m.gap).toBe(0);
      expect(m.objective).toBeGreaterThan(0);
      expect(m.peakRssMiB).toBeGreaterThanOrEqual(m.baselineRssMiB);
      expect(m.baselineRssMiB).toBeGreaterThan(m.inputMiB);
    }
  });

  it('--into-out: cases named apart that write into one array, with the same objectives', async () => {
    const cases = maskSuite.cases({ quick: false, backends: ['reference'], methods: ['standard', 'greedy'], sizes: [64], patterns: ['2:4'], intoOut: true });
    expect(cases.map((c) => c.id)).toEqual(['standard 2:4 64² gaussian into out', 'greedy 2:4 64² gaussian into out']);
    for (const c of cases) {
      const into = await maskSuite.measure(c, tinyPlan);
      const fresh = await maskSuite.measure({ ...c, intoOut: false }, tinyPlan);
      expect(into.objective).toBe(fresh.objective);
      expect(into.gap).toBe(fresh.gap);
    }
  });

  it('plans 1024² for every pattern and only 8:16 at 4096² in a quick run', () => {
    const cases = maskSuite.cases({ quick: true, backends: ['reference'], methods: ['exact'], sizes: [], patterns: [] });
    expect(cases.map((c) => c.id)).toEqual([
      'exact 2:4 1024² gaussian',
      'exact 4:8 1024² gaussian',
      'exact 8:16 1024² gaussian',
      'exact 16:32 1024² gaussian',
      'exact 8:16 4096² gaussian',
    ]);
    const full = maskSuite.cases({ quick: false, backends: ['wasm', 'reference'], methods: [], sizes: [], patterns: [] });
    expect(full).toHaveLength(2 * (2 * 4 * 4 + 2));
    expect(full.filter((c) => c.matrix === 'column-scaled').map((c) => `${c.method} ${c.backend}`)).toEqual([
      'tsenor wasm',
      'tsenor reference',
      'greedy wasm',
      'greedy reference',
    ]);
    expect(full.slice(0, 4).map((c) => `${c.id} ${c.backend}`)).toEqual([
      'standard 2:4 1024² gaussian wasm',
      'standard 2:4 1024² gaussian reference',
      'exact 2:4 1024² gaussian wasm',
      'exact 2:4 1024² gaussian reference',
    ]);
    expect(new Set(full.map((c) => `${c.id} ${c.backend}`)).size).toBe(full.length);
    const only24 = maskSuite.cases({ quick: false, backends: ['wasm'], methods: ['greedy'], sizes: [1024], patterns: ['2:4'] });
    expect(only24.map((c) => c.id)).toEqual(['greedy 2:4 1024² gaussian']);
  });
});

describe('bench: scheduling', () => {
  it('runs the reference backend when asked and refuses an unknown one', async () => {
    const named = await chosenBackends(['reference'], true);
    expect(named.backends.map((b) => b.name)).toEqual(['reference']);
    expect(named.notes).toEqual([]);
    const all = (await chosenBackends([], false)).backends.map((b) => b.name);
    expect(all).toContain('reference');
    if (all.includes('wasm')) expect(all.indexOf('wasm')).toBeLessThan(all.indexOf('reference'));
    await expect(chosenBackends(['nope'], false)).rejects.toMatchObject({ code: 'E_BACKEND' });
  });

  const small = maskCase('exact', 'reference', 1024, 8, 16);
  const large = maskCase('exact', 'reference', 4096, 8, 16);
  const neverCalled = (): never => {
    throw new Error('the case should have been skipped');
  };

  it('skips a case whose smaller sibling predicts a call over the limit, and says why', async () => {
    const done: CaseRow[] = [{ case: small, status: 'ok', measured: measured(1) }];
    const row = await scheduleCase(large, done, QUICK_LIMITS, 0, neverCalled);
    expect(row.status).toBe('skipped');
    expect(row.reason).toBe(`predicted 16 s per call > ${QUICK_LIMITS.callLimitSeconds} s limit`);
  });

  it('skips the rest once the run budget is spent, and a case whose smaller sibling did not finish', async () => {
    const spent = await scheduleCase(small, [], QUICK_LIMITS, QUICK_LIMITS.runBudgetSeconds + 1, neverCalled);
    expect(spent.reason).toContain('budget was spent');
    const done: CaseRow[] = [{ case: small, status: 'skipped', reason: 'stopped after 25 s' }];
    const row = await scheduleCase(large, done, QUICK_LIMITS, 0, neverCalled);
    expect(row.reason).toBe(`the smaller case ${small.id} did not finish`);
  });

  it('runs a case that is predicted to fit, passing the limits on', async () => {
    const done: CaseRow[] = [{ case: small, status: 'ok', measured: measured(0.01) }];
    const row = await scheduleCase(large, done, QUICK_LIMITS, 0, async (c, plan, timeout) => {
      expect(c).toBe(large);
      expect(plan).toBe(QUICK_LIMITS.timing);
      expect(timeout).toBe(QUICK_LIMITS.caseTimeoutSeconds);
      return { status: 'ok', measured: measured(0.2) };
    });
    expect(row).toEqual({ case: large, status: 'ok', measured: measured(0.2) });
  });
});

describe('bench: timing, table and results file', () => {
  it('warms up once, takes up to maxSamples samples of a fast call and returns the last value', async () => {
    let calls = 0;
    const timing = await timeCall(async () => ++calls, { maxSamples: 4, budgetSeconds: 1, singleCallSeconds: 5 });
    expect(timing.samples).toBe(4);
    expect(calls).toBe(5);
    expect(timing.last).toBe(calls);
    expect(timing.minSeconds).toBeLessThanOrEqual(timing.medianSeconds);
  });

  it('keeps a slow warm-up call as the only sample', async () => {
    let calls = 0;
    const timing = await timeCall(async () => ++calls, { maxSamples: 4, budgetSeconds: 1, singleCallSeconds: 0 });
    expect(timing).toMatchObject({ samples: 1, last: 1 });
    expect(timing.medianSeconds).toBe(timing.minSeconds);
  });

  it('prints one Markdown line per row with the same number of cells, skipped rows with their reason', () => {
    const rowArb = fc.record({
      seconds: fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
      skipped: fc.boolean(),
      size: fc.constantFrom(1024, 4096),
    });
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 8 }), (specs) => {
        const rows: CaseRow[] = specs.map((s) =>
          s.skipped
            ? { case: maskCase('exact', 'reference', s.size, 2, 4), status: 'skipped', reason: 'too slow' }
            : { case: maskCase('greedy', 'wasm', s.size, 2, 4), status: 'ok', measured: measured(s.seconds) },
        );
        const lines = formatTable(rows).split('\n');
        expect(lines).toHaveLength(rows.length + 2);
        const cellCounts = new Set(lines.map((line) => line.split(' | ').length));
        expect(cellCounts.size).toBe(1);
        rows.forEach((row, k) => {
          expect(lines[k + 2]).toContain(row.case.id);
          if (row.status === 'skipped') expect(lines[k + 2]).toContain('skipped (too slow)');
        });
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  it('puts the speed-up over the reference beside the other backends, on the same case only', () => {
    const rows: CaseRow[] = [
      { case: maskCase('exact', 'wasm', 1024, 8, 16), status: 'ok', measured: measured(0.1) },
      { case: maskCase('exact', 'reference', 1024, 8, 16), status: 'ok', measured: measured(2) },
      { case: maskCase('exact', 'wasm', 4096, 8, 16), status: 'ok', measured: measured(1) },
      { case: maskCase('exact', 'reference', 4096, 8, 16), status: 'skipped', reason: 'slow' },
    ];
    addReferenceSpeedups(rows);
    expect(rows.map((r) => r.speedupOverReference)).toEqual([20, undefined, undefined, undefined]);
    expect(formatTable(rows).split('\n')[2]).toContain('| 20× |');
  });

  it('writes results atomically: the file parses back and no temporary file is left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmsparse-bench-'));
    try {
      const path = join(dir, 'results.json');
      const value = { rows: [{ case: maskCase('exact', 'wasm', 1024, 8, 16), status: 'ok', measured: measured(0.1) }] };
      writeJsonAtomic(path, value);
      writeJsonAtomic(path, value);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(value);
      expect(readdirSync(dir)).toEqual(['results.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  });

  it('parses the command line and rejects bad sizes', () => {
    const o = parseRunOptions(['--quick', '--backend', 'wasm,reference', '--size', '1024', '--no-native'], 'out.json');
    expect(o).toMatchObject({ quick: true, backends: ['wasm', 'reference'], sizes: [1024], native: false, out: 'out.json' });
    expect(() => parseRunOptions(['--size', '1000'], 'out.json')).toThrow(/multiple of 32/);
    expect(() => parseRunOptions(['--bogus'], 'out.json')).toThrow();
    expect(parseRunOptions(['--pattern', '8:16,2:4'], 'out.json').patterns).toEqual(['8:16', '2:4']);
    expect(() => parseRunOptions(['--pattern', '8/16'], 'out.json')).toThrow(/--pattern/);
    expect(parseRunOptions([], 'out.json').intoOut).toBe(false);
    expect(parseRunOptions(['--into-out'], 'out.json').intoOut).toBe(true);
  });
});

describe('bench: certified-gap report', () => {
  it('certifies greedy and tsenor on every pattern and the column-scaled case', async () => {
    const rows = await measureGaps(64, 'reference');
    expect(rows).toHaveLength(2 * 5);
    for (const row of rows) {
      expect(row.gap).toBeGreaterThanOrEqual(0);
      expect(row.gap).toBeLessThan(0.1);
    }
    const table = formatGapTable(rows, 64).split('\n');
    expect(table).toHaveLength(2 + 5);
    expect(table[2]).toMatch(/^\| gaussian \| 2:4 \| (0|[\d.e+-]+%) \| (0|[\d.e+-]+%) \|$/);
  });
});
