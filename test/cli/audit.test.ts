// `nmsparse audit` in-process: the summary, exit codes, --json, the counterexample folder, usage errors.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errLines, runCli } from '../support/cli.js';
import { solverCommand as writeSolverScript } from '../support/solverScript.js';

let dir: string;
let solver: (name: string) => string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-audit-cli-'));
  solver = await writeSolverScript(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const FLAGS = ['--n', '2', '--m', '4', '--transposable', '--cases', '4', '--seed', '5'];

describe('nmsparse audit', () => {
  it('exit 0 and "all valid" for an exact solver; no folder written', async () => {
    const out = join(dir, 'none');
    const r = await runCli(['audit', ...FLAGS, '--max-gap', '0', '--out', out, '--', ...solver('exact')]);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/^audit of .*solver\.mjs exact '\{in\}' '\{out\}' '\{n\}' '\{m\}': transposable 2:4 \(fill exact\), max gap 0\n/);
    expect(r.out).toMatch(/\n4 cases \(seed 5\): all valid, mean gap 0%, max gap 0%, no failures, [0-9.]+ s\n$/);
    expect(existsSync(out)).toBe(false);
  });

  it('exit 1, the failures, and the counterexample folder for a broken one; --json says the same', async () => {
    const out = join(dir, 'ce');
    const r = await runCli(['audit', ...FLAGS, '--shrink-attempts', '12', '--out', out, '--', ...solver('offByOneTile')]);
    expect([r.code, r.err]).toEqual([1, '']);
    expect(r.out).toMatch(/\n4 cases \(seed 5\): 0 valid, .*, 4 failed \(invalidMask 4\), /);
    expect(r.out).toMatch(/\ncounterexample \(4×4\): invalid mask: tile \(0, 0\), row 0 keeps 0, expected exactly 2/);
    expect(r.out).toContain(`written to ${out}/`);
    expect(JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))).toMatchObject({ verdict: 'invalidMask', counterexample: { rows: 4, cols: 4 } });

    const again = await runCli(['audit', ...FLAGS, '--shrink-attempts', '0', '--json', '--out', join(dir, 'ce-json'), '--', ...solver('offByOneTile')]);
    expect(again.code).toBe(1);
    const summary = JSON.parse(again.out);
    expect(summary).toMatchObject({ cases: 4, seed: 5, failed: 4, failureKinds: { invalidMask: 4 }, counterexample: { kind: 'invalidMask' } });
    expect(summary.command).toEqual(solver('offByOneTile'));
  });

  it('usage errors: exit 2 with one line, before anything runs', async () => {
    const never = ['--', join(dir, 'never-run')];
    const cases: Array<[string[], RegExp]> = [
      [['--n', '2', '--m', '4'], /expected -- COMMAND at the end/],
      [['--n', '2', '--m', '4', '--'], /expected -- COMMAND at the end/],
      [['--n', '2', '--m', '512', ...never], /--m 512 is above 256/],
      [['--n', '2', '--m', '4', '--max-gap', '-1', ...never], /--max-gap must be a number from 0 to 1, got '-1'/],
      [['--n', '2', '--m', '4', '--max-gap', '2', ...never], /--max-gap must be a number from 0 to 1, got '2'/],
      [['--n', '2', '--m', '4', '--cases', '0', ...never], /--cases must be an integer from 1 to 1000000/],
      [['--n', '2', '--m', '4', '--timeout', '0', ...never], /--timeout must be a number greater than 0/],
      [['--n', '2', '--m', '4', '--fill', 'at-most', ...never], /--fill applies only with --transposable/],
      [['--n', '2', '--m', '4', '--out', dir, ...never], /the counterexample folder .* exists and is not empty/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(['audit', ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(errLines(r), argv.join(' ')).toEqual([expect.stringMatching(message)]);
    }
  });
});
