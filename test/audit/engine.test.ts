// The audit engine against external commands: the broken solvers of test/support/brokenSolvers.mjs run
// as node scripts, nmsparse's own CLI, and tiny scripts that misbehave in each of the other ways.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, type AuditOptions } from '../../src/audit/index.js';
import { parseNpy } from '../../src/io/npy.js';
import { certify } from '../../src/verify/certify.js';
import { solvers } from '../support/brokenSolvers.mjs';
import { solverCommand as writeSolverScript } from '../support/solverScript.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/bin.js');
let dir: string;
let solverCommand: (name: string) => string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-audit-test-'));
  solverCommand = await writeSolverScript(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE: AuditOptions = { n: 2, m: 4, transposable: true, cases: 6, seed: 1420, maxShrinkAttempts: 24, timeoutMs: 30_000 };

async function readNpy(path: string) {
  return parseNpy(await readFile(path));
}

describe('audit: broken solvers are caught and shrunk to one tile', () => {
  const expected: Array<[keyof typeof solvers, string[]]> = [
    ['greedyNoRepair', ['gap', 'invalidMask']],
    ['offByOneTile', ['invalidMask']],
    ['tiesByValue', ['invalidMask']],
    ['crashOnZero', ['crash']],
  ];
  for (const [name, kinds] of expected) {
    it(name, async () => {
      const out = join(dir, `ce-${name}`);
      const summary = await audit(solverCommand(name), { ...BASE, outDir: out });
      expect(summary.failed).toBeGreaterThan(0);
      const ce = summary.counterexample;
      expect(ce && kinds.includes(ce.kind), JSON.stringify(ce?.message)).toBe(true);
      expect([ce?.rows, ce?.cols]).toEqual([4, 4]);

      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      expect(report.verdict).toBe(ce?.kind);
      expect(report.counterexample).toMatchObject({ rows: 4, cols: 4 });
      expect(report.origin.caseIndex).toBe(summary.failures[0]?.index);
      expect(await readFile(join(out, 'report.md'), 'utf8')).toContain(`**What is wrong:** ${ce?.message}`);

      // The folder's claims, checked again from its files.
      const scores = await readNpy(join(out, 'scores.npy'));
      const x = { rows: 4, cols: 4, data: scores.data as Float32Array };
      const optimal = await readNpy(join(out, 'optimal-mask.npy'));
      const best = await certify(x, optimal.data, { n: 2, m: 4, transposable: true });
      expect([best.valid, best.gap]).toEqual([true, 0]);
      if (ce?.kind === 'crash') {
        expect(() => solvers[name](x.data, 4, 4, 2, 4)).toThrow();
        expect(report.run.exitCode).not.toBe(0);
        expect(existsSync(join(out, 'their-mask.npy'))).toBe(false);
        return;
      }
      const theirs = await readNpy(join(out, 'their-mask.npy'));
      expect(theirs.data).toEqual(solvers[name](x.data, 4, 4, 2, 4));
      const c = await certify(x, theirs.data, { n: 2, m: 4, transposable: true });
      if (ce?.kind === 'invalidMask') {
        expect(c.valid).toBe(false);
        expect(report.certificate.violations[0]).toMatchObject({ tileRow: 0, tileCol: 0 });
      } else {
        expect(c.valid).toBe(true);
        expect(report.worstUnits[0]).toMatchObject({ row: 0, col: 0 });
        expect(report.worstUnits[0].lost).toBeCloseTo(best.objective - c.objective, 6);
        expect(report.worstUnits[0].lost).toBeGreaterThan(0);
      }
    });
  }
});

describe('audit: standard masks', () => {
  it('a standard solver wrong in the last group of each row shrinks to one 1×M group', async () => {
    const summary = await audit(solverCommand('standardLastGroupFirstN'), { ...BASE, transposable: false, families: ['gaussian'], maxShrinkAttempts: 12 });
    expect(summary.failed).toBeGreaterThan(0);
    const ce = summary.counterexample;
    expect([ce?.kind, ce?.rows, ce?.cols]).toEqual(['gap', 1, 4]);
    expect(ce?.message).toContain('group at row 0, columns 0–3');
  });
});

describe('audit: correct solvers pass with gap 0', () => {
  it('the exact brute-force script', async () => {
    const summary = await audit(solverCommand('exact'), { ...BASE, cases: 8 });
    expect(summary.failures.map((f) => f.message)).toEqual([]);
    expect([summary.valid, summary.maxGap]).toEqual([8, 0]);
  });

  const cliMissing = existsSync(CLI) ? '' : 'no dist/ build (npm run build)';
  it.skipIf(cliMissing !== '')(`nmsparse mask through its CLI: transposable exact and atMost, standard${cliMissing ? ` — SKIPPED: ${cliMissing}` : ''}`, async () => {
    const mask = [process.execPath, CLI, 'mask', '{in}', '--n', '{n}', '--m', '{m}', '--score', 'raw', '-o', '{out}'];
    const configs: Array<[string[], Partial<AuditOptions>]> = [
      [['--transposable'], {}],
      [['--transposable', '--fill', 'at-most'], { fill: 'atMost' }],
      [[], { transposable: false }],
    ];
    for (const [flags, options] of configs) {
      const summary = await audit([...mask, ...flags], { ...BASE, cases: 4, seed: 1421, n: 3, m: 8, ...options });
      expect(summary.failures.map((f) => f.message)).toEqual([]);
      expect(summary.maxGap).toBe(0);
    }
  });
});

describe('audit: every other way a command can fail', () => {
  const node = (code: string) => [process.execPath, '-e', code, '{in}', '{out}'];
  const writeNpy = (header: string, body: string) =>
    `const h = ${JSON.stringify(header)}.padEnd(117) + '\\n'; const b = Buffer.concat([Buffer.from([0x93,0x4e,0x55,0x4d,0x50,0x59,1,0,118,0]), Buffer.from(h, 'latin1'), ${body}]); require('fs').writeFileSync(process.argv[2], b);`;
  const cases: Array<[string, string[], string, RegExp]> = [
    ['exit code', node('process.exit(3)'), 'crash', /exited with code 3/],
    ['no such program', ['/nonexistent/solver', '{in}'], 'crash', /could not start \(ENOENT\)/],
    ['no mask', node(''), 'noMask', /wrote no mask/],
    ['not a .npy', node("require('fs').writeFileSync(process.argv[2], 'hello')"), 'malformedMask', /not a readable \.npy/],
    ['wrong shape', node(writeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", 'Buffer.alloc(4)')), 'wrongShape', /shape \(2, 2\)/],
    [
      'an f64 mask read at its precision: 1 + 1e-12 is not 1',
      node(writeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 4), }", 'Buffer.from(Float64Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1 + 1e-12]).buffer)')),
      'malformedMask',
      /value 1\.000000000001 at \(3, 3\)/,
    ],
    ['a runaway mask file', node("require('fs').writeFileSync(process.argv[2], Buffer.alloc(1 << 20))"), 'malformedMask', /has 1048576 bytes/],
    ['a 0.5 in an f32 mask', node(writeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", 'Buffer.from(new Float32Array(16).fill(0.5).buffer)')), 'malformedMask', /value 0\.5/],
  ];
  for (const [what, command, kind, message] of cases) {
    it(what, async () => {
      const summary = await audit(command, { ...BASE, cases: 1, maxTileRows: 1, maxTileCols: 1, maxShrinkAttempts: 0 });
      expect(summary.failureKinds).toEqual({ [kind]: 1 });
      expect(summary.counterexample?.message).toMatch(message);
    });
  }

  it('a timeout ends the command and its children', async () => {
    const summary = await audit(node("require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1e6)'], { stdio: 'inherit' }); setTimeout(() => {}, 1e6)"), {
      ...BASE,
      cases: 1,
      timeoutMs: 1000,
      maxShrinkAttempts: 0,
    });
    expect(summary.failureKinds).toEqual({ timeout: 1 });
    expect(summary.seconds).toBeLessThan(20);
  });

  it('cancels: between cases, and a running command is killed at once', async () => {
    const between = new AbortController();
    const first = audit(solverCommand('exact'), { ...BASE, cases: 3, signal: between.signal, onCase: () => between.abort() });
    await expect(first).rejects.toMatchObject({ code: 'E_ABORTED' });

    // The command says it has started by creating a file, then sleeps far past any test's time.
    const marker = join(dir, 'started');
    const running = new AbortController();
    const sleeper = node(`require('fs').writeFileSync(${JSON.stringify(marker)}, ''); setTimeout(() => {}, 1e6)`);
    const pending = audit(sleeper, { ...BASE, cases: 1, timeoutMs: 600_000, signal: running.signal });
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 20));
    running.abort();
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('refuses bad options and a non-empty output folder before running anything', async () => {
    const full = join(dir, 'full');
    await mkdir(full, { recursive: true });
    await writeFile(join(full, 'keep.txt'), 'mine');
    const never = [join(dir, 'never-run')];
    await expect(audit(never, { ...BASE, outDir: full })).rejects.toMatchObject({ code: 'E_IO' });
    expect(await readFile(join(full, 'keep.txt'), 'utf8')).toBe('mine');
    await expect(audit(never, { ...BASE, n: 4, m: 4 })).rejects.toMatchObject({ code: 'E_PATTERN' });
    await expect(audit(never, { ...BASE, cases: 0 })).rejects.toMatchObject({ code: 'E_OPTION' });
    await expect(audit(never, { ...BASE, maxGap: -1 })).rejects.toMatchObject({ code: 'E_OPTION' });
    await expect(audit([], BASE)).rejects.toMatchObject({ code: 'E_OPTION' });
  });

  it('is reproducible from the seed', async () => {
    const a = await audit(solverCommand('greedyNoRepair'), { ...BASE, cases: 5, maxShrinkAttempts: 0 });
    const b = await audit(solverCommand('greedyNoRepair'), { ...BASE, cases: 5, maxShrinkAttempts: 0 });
    const strip = (s: typeof a) => s.failures.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(a)).toEqual(strip(b));
    expect(a.meanGap).toBe(b.meanGap);
  });
});
