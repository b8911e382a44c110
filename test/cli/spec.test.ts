// The declarative flag spec drives help, parsing and validation for every command.
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { demoCommand } from '../../src/cli/commands/demo.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { run } from '../../src/cli/main.js';
import { parseInteger } from '../../src/cli/flags.js';
import { errLines, runCli } from '../support/cli.js';

const version = (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Exit 2 and exactly one stderr line `nmsparse <cmd>: ...` matching `message`; nothing on stdout. */
async function expectUsageError(argv: string[], message: RegExp): Promise<void> {
  const r = await runCli(argv);
  expect(r.code, argv.join(' ')).toBe(2);
  expect(errLines(r), argv.join(' ')).toEqual([expect.stringMatching(message)]);
  expect(r.err, argv.join(' ')).toMatch(new RegExp(`^nmsparse ${argv[0]}: `));
  expect(r.out).toBe('');
}

describe('help and version', () => {
  for (const command of COMMANDS) {
    it(`${command.name}: --help, -h and 'help ${command.name}' exit 0 with the usage and every flag`, async () => {
      for (const argv of [[command.name, '--help'], [command.name, '-h'], ['help', command.name], [command.name, '--bogus', '--n', 'x', '--help']]) {
        const r = await runCli(argv);
        expect(r.code, argv.join(' ')).toBe(0);
        expect(r.err).toBe('');
        expect(r.out).toMatch(new RegExp(`^nmsparse ${command.name}: .*\\n\\nUsage:\\n  nmsparse ${command.name} `));
        for (const flag of command.flags) expect(r.out).toContain(`--${flag.name}`);
      }
    });
  }

  it('nmsparse --help lists every command; --version prints package.json version', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await runCli(argv);
      expect(r.code).toBe(0);
      for (const command of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${command.name} +\\S`, 'm'));
    }
    for (const argv of [['--version'], ['-V']]) expect(await runCli(argv)).toEqual({ code: 0, out: `${version}\n`, err: '' });
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.out).toMatch(/Commands:/);
    const noHelp = await runCli(['help', 'nonsense']);
    expect([noHelp.code, errLines(noHelp)]).toEqual([2, [expect.stringMatching(/^nmsparse: no help for 'nonsense'; the commands are mask, /)]]);
    const unknown = await runCli(['nonsense']);
    expect([unknown.code, errLines(unknown)]).toEqual([2, [expect.stringMatching(/^nmsparse: unknown command 'nonsense'/)]]);
  });
});

describe('unexpected errors', () => {
  it('a command that throws something other than an NmsparseError: exit 2, one line saying internal error', async () => {
    const throwing = (thrown: unknown): Command => ({ ...demoCommand, name: 'boom', run: () => Promise.reject(thrown) });
    for (const thrown of [new RangeError('Maximum call stack size exceeded\n    at parse (x.js:1:1)'), 'a string', null]) {
      let err = '';
      const code = await run(['boom'], { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } }, [throwing(thrown)]);
      expect(code).toBe(2);
      expect(err).toMatch(/^nmsparse boom: internal error \(please report it\): [^\n]*\n$/);
    }
  });
});

describe('the flag spec itself', () => {
  it('names and short names are unique, needs name a flag of the same command, defaults are valid values', () => {
    for (const command of COMMANDS) {
      const names = command.flags.map((f) => f.name);
      expect(new Set(names).size, command.name).toBe(names.length);
      const shorts = command.flags.flatMap((f) => (f.short ? [f.short] : []));
      expect(new Set(shorts).size).toBe(shorts.length);
      expect(names).not.toContain('help');
      for (const f of command.flags) {
        if (f.needs) expect(names, `${command.name} --${f.name}`).toContain(f.needs.name);
        if (f.inputs) for (const k of f.inputs) expect(command.inputs).toContain(k);
        if (f.kind === 'choice') expect(f.placeholder.split('|').map((s) => f.parse(s))).toContain(f.default);
        if (f.kind === 'integer' && f.default !== undefined) expect(f.parse(String(f.default))).toBe(f.default);
        if (f.defaultLabel !== undefined) expect(f.parse(f.defaultLabel), `${command.name} --${f.name}`).toBe(f.default); // help shows what the flag means
        expect(f.kind === 'boolean' ? f.placeholder === '' : f.placeholder !== '').toBe(true);
        if (f.required) expect(f.default, `${command.name} --${f.name}`).toBeUndefined();
      }
      // The hand-written usage lines name only declared flags.
      for (const used of command.usage.join(' ').matchAll(/--([a-z-]+)/g)) expect(names, `${command.name} usage`).toContain(used[1]);
    }
  });
});

describe('parsing: unknown, repeated and malformed flags are one-line errors', () => {
  it('unknown options and wrong operand counts', async () => {
    await expectUsageError(['mask', 'a.npy', '--n', '2', '--m', '4', '--bogus', '-o', 'x.npy'], /unknown option --bogus/);
    await expectUsageError(['mask', 'a.npy', '-x'], /unknown option -x \(see/);
    await expectUsageError(['mask', 'a.npy', '--transposible'], /unknown option --transposible \(did you mean --transposable\?\)/);
    await expectUsageError(['verify', 'a.npy', '--allow-mising'], /did you mean --allow-missing\?/);
    await expectUsageError(['mask', '--n', '2', '--m', '4', '-o', 'x.npy'], /expected IN, got none/);
    await expectUsageError(['verify', 'a.npy', '--n', '2', '--m', '4'], /expected SCORES and MASKS, or no file arguments, got 'a\.npy'/);
    await expectUsageError(['demo', 'extra'], /expected no file arguments/);
    await expectUsageError(['demo', '--json=yes'], /--json takes no value/);
    await expectUsageError(['mask', 'a.npy', '--m', '4', '-o', 'x.npy'], /--n N is required/);
    await expectUsageError(['verify', 'a.npy', 'b.npy', '--n', '2'], /--m M is required/);
    await expectUsageError(['mask', 'a.npy', '--n'], /--n needs a value/);
    await expectUsageError(['mask', 'a.npy', '--n', '--m', '4'], /--n needs a value/);
  });

  it('a flag given twice is refused unless it is repeatable', async () => {
    await expectUsageError(['mask', 'a.npy', '--n', '2', '--n', '2', '--m', '4', '-o', 'x'], /--n is given more than once/);
    await expectUsageError(['demo', '--json', '--json'], /--json is given more than once/);
    await expectUsageError(['mask', 'a.npy', '-o', 'x', '--output', 'y'], /-o\/--output is given more than once/);
    // --include is repeatable: the run gets as far as reading the (missing) input.
    await expectUsageError(['inspect', 'missing.safetensors', '--include', 'a', '--include', 'b'], /cannot read missing\.safetensors: no such file/);
  });

  it("Node's multi-line 'argument is ambiguous' case (--n -2) and -o '' are one sensible line", async () => {
    await expectUsageError(['mask', 'a.npy', '--n', '-2', '--m', '4', '-o', 'x.npy'], /--n must be an integer from 1 to 4095, got '-2'/);
    await expectUsageError(['mask', 'a.npy', '--n', '2', '--m', '4', '-o', ''], /-o\/--output needs a file name, got an empty string/);
    await expectUsageError(['mask', 'a.npy', '--n=2', '--m=4', '--output='], /-o\/--output needs a file name/);
  });

  it('integers are strict everywhere: no hex, exponent, spaces, signs, fractions; ranges stated', async () => {
    const bad = ['0x40', '3.2e1', ' 64', '64 ', '1e9', '064', '+64', '-0', '64.0', '', 'Infinity', '9007199254740993'];
    for (const size of bad) await expectUsageError(['demo', '--size', size], /--size must be a multiple of 32 from 32 to 4096/);
    await expectUsageError(['demo', '--size', '4128'], /--size must be a multiple of 32 from 32 to 4096, got '4128'/);
    await expectUsageError(['demo', '--size', '48'], /--size must be a multiple of 32/);
    await expectUsageError(['demo', '--size', '1048576'], /from 32 to 4096/);
    await expectUsageError(['demo', '--seed', '-1'], /--seed must be an integer from 0 to 4294967295/);
  });

  it('parseInteger: every in-range integer written in decimal round-trips, every other text is refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -5000, max: 5000 }), (min, x) => {
        const max = min + 2000;
        if (x >= min && x <= max) expect(parseInteger(String(x), 'k', min, max)).toBe(x);
        else expect(() => parseInteger(String(x), 'k', min, max)).toThrow(/--k must be an integer from/);
      }),
      { seed: 9, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), (text) => {
        fc.pre(!/^(0|-?[1-9][0-9]*)$/.test(text));
        expect(() => parseInteger(text, 'k', -1e9, 1e9)).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
      }),
      { seed: 10, numRuns: 300 },
    );
  });

  it('--m has a stated limit per kind of mask; N < M', async () => {
    await expectUsageError(['mask', 'a.npy', '--n', '2', '--m', '4097', '-o', 'x.npy'], /--m must be an integer from 2 to 4096/);
    await expectUsageError(['mask', 'a.npy', '--n', '2', '--m', '2048', '--transposable', '-o', 'x.npy'], /--m 2048 is above 1024, the largest M for transposable masks/);
    await expectUsageError(['mask', 'a.npy', '--n', '4', '--m', '4', '-o', 'x.npy'], /--n must be less than --m .*4:4/);
  });

  it('choices: --fill at-most and atMost both mean atMost; anything else lists the spellings', async () => {
    await expectUsageError(['mask', 'a.npy', '--n', '2', '--m', '4', '--transposable', '--fill', 'atmost', '-o', 'x'], /--fill must be one of exact, at-most, atMost, got 'atmost'/);
    await expectUsageError(['mask', 'a.npy', '--n', '2', '--m', '4', '--transposable', '--method', 'magic', '-o', 'x'], /--method must be one of exact, tsenor, greedy/);
    await expectUsageError(['mask', 'a.npy', '--n', '2', '--m', '4', '--fill', 'exact', '-o', 'x'], /--fill applies only with --transposable/);
  });

  it('TSENOR flags: validated ranges, and only with --method tsenor', async () => {
    const base = ['mask', 'a.npy', '--n', '2', '--m', '4', '--transposable', '-o', 'x.npy'];
    await expectUsageError([...base, '--tau', '50'], /--tau applies only with --method tsenor/);
    await expectUsageError([...base, '--method', 'exact', '--iterations', '5'], /--iterations applies only with --method tsenor/);
    const cases: [string, string, RegExp][] = [
      ['--tau', '0', /--tau must be a number greater than 0 and at most 10000/],
      ['--tau', 'Infinity', /--tau must be a number/],
      ['--tau', '1e5', /--tau must be a number/],
      ['--tau', '0x10', /--tau must be a number/],
      ['--iterations', '0', /--iterations must be an integer from 1 to 100000/],
      ['--iterations', '4294967297', /--iterations must be an integer from 1 to 100000/],
      ['--stages', '65', /--stages must be an integer from 1 to 64/],
      ['--local-search-steps', '-1', /--local-search-steps must be an integer from 0 to 10000/],
    ];
    for (const [flag, value, message] of cases) await expectUsageError([...base, '--method', 'tsenor', flag, value], message);
  });
});
