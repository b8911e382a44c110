// Real processes of the CLI: signals at known points of a .npy and a checkpoint run, concurrent
// writers of the same output, and what a kill -9 leaves for the next run. Processes are synchronised
// on the CLI's test pause lines (NMSPARSE_TEST_PAUSE_AT), never on sleeps.
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/io/npy.js';
import { writeSafetensorsFile } from '../../src/io/safetensors.js';
import { gaussianMatrix } from '../../src/core/random.js';
import { builtCli } from '../support/builtCli.js';
import { startCli } from '../support/cliProcess.js';

let bin: string;
let dir: string;
let weights: string;
let model: string;

beforeAll(async () => {
  bin = builtCli();
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-processes-'));
  weights = join(dir, 'w.npy');
  await writeFile(weights, encodeNpy(gaussianMatrix(32, 32, 7).data, [32, 32], 'f32'));
  await writeFile(join(dir, 'x.npy'), encodeNpy(gaussianMatrix(32, 64, 8).data, [32, 64], 'f32'));
  model = join(dir, 'model.safetensors');
  await writeSafetensorsFile(
    model,
    [0, 1, 2].map((i) => ({ name: `layer.${i}.weight`, dtype: 'F32' as const, shape: [16, 16], data: gaussianMatrix(16, 16, i + 1).data })),
  );
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true }); // unset when the build check failed
});

const INPUTS = ['model.safetensors', 'w.npy', 'x.npy'];

/** Everything in the folder that is not an input, temporary files included. */
function produced(): string[] {
  return readdirSync(dir).filter((n) => !INPUTS.includes(n)).sort();
}

async function clean(): Promise<void> {
  for (const name of produced()) await rm(join(dir, name), { force: true });
}

/** Spawns `nmsparse argv`, pausing at `pauseAt` (comma-separated stages) when given. */
const start = (argv: string[], pauseAt = '') => startCli(bin, argv, pauseAt);

const maskNpy = (out: string) => ['mask', weights, '--n', '2', '--m', '4', '--transposable', '--backend', 'reference', '-o', join(dir, out)];
const maskCheckpoint = (out: string) => ['mask', model, '--n', '2', '--m', '4', '--backend', 'reference', '--quiet', '-o', join(dir, out), '--apply', join(dir, `pruned-${out}`)];
const prune = (out: string) => ['prune24', weights, '--inputs', join(dir, 'x.npy'), '--backend', 'reference', '-o', join(dir, out), '--mask-out', join(dir, `mask-${out}`)];

describe('signals: INT, TERM and HUP the same on every path', () => {
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const POINTS: Array<[string, (out: string) => string[], string]> = [
    ['.npy mask', maskNpy, 'ready'],
    ['.npy mask', maskNpy, 'committing'],
    ['checkpoint mask', maskCheckpoint, 'ready'],
    ['checkpoint mask', maskCheckpoint, 'tensor-1'],
    ['checkpoint mask', maskCheckpoint, 'committing'],
    ['prune24', prune, 'ready'],
    ['prune24', prune, 'committing'],
  ];
  for (const [what, args, point] of POINTS) {
    it(`${what} stopped at '${point}': exit 128+n, one line, no output and no temporary file`, async () => {
      for (const name of SIGNALS) {
        const run = start(args('out'), point);
        expect(await run.paused).toBe(point);
        run.child.kill(name);
        const { code, signal, lines } = await run.done;
        expect({ code, signal }).toEqual({ code: 128 + constants.signals[name], signal: null });
        expect(lines).toEqual([`nmsparse: interrupted; no output was written (${name})`]);
        expect(produced()).toEqual([]);
      }
    });
  }
});

describe('concurrent writers of the same output', () => {
  it('both paused before their commit: the first to commit wins, the other exits 2 and leaves the winner alone', async () => {
    const a = start(maskNpy('race.npy'), 'committing');
    const b = start(maskNpy('race.npy'), 'committing');
    await Promise.all([a.paused, b.paused]);
    b.child.stdin?.end('\n');
    expect((await b.done).code).toBe(0);
    const winner = await readFile(join(dir, 'race.npy'));
    a.child.stdin?.end('\n');
    const loser = await a.done;
    expect(loser.code).toBe(2);
    expect(loser.lines).toEqual([expect.stringMatching(/^nmsparse mask: -o .*race\.npy appeared while this run was writing it/)]);
    expect(await readFile(join(dir, 'race.npy'))).toEqual(winner);
    expect(produced()).toEqual(['race.npy']);
    await clean();
  });

  it('racing freely, exactly one of two runs wins every time (seeded rounds)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<(out: string) => string[]>(maskNpy, maskCheckpoint), async (args) => {
        const runs = [start(args('free.out')), start(args('free.out'))];
        const results = await Promise.all(runs.map((r) => r.done));
        const codes = results.map((r) => r.code).sort();
        expect(codes).toEqual([0, 2]);
        const loser = results.find((r) => r.code === 2);
        expect(loser?.lines).toEqual([expect.stringMatching(/(appeared while this run was writing it|already exists); .*--force/)]);
        expect(produced().filter((n) => n.endsWith('.tmp'))).toEqual([]);
        await clean();
      }),
      { seed: 77, numRuns: 6 },
    );
  });
});

describe('what kill -9 leaves', () => {
  it('a full-size temporary file, which the next run writing the same output removes and reports in one line', async () => {
    const killed = start(maskNpy('k.npy'), 'committing');
    await killed.paused;
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    const [leftover] = produced();
    expect(leftover).toMatch(new RegExp(`^\\.k\\.npy\\.nmsparse-${killed.child.pid}-[0-9a-f]+\\.tmp$`));
    expect((await stat(join(dir, leftover as string))).size).toBeGreaterThan(32 * 32);

    const next = await start(maskNpy('k.npy')).done;
    expect(next.code).toBe(0);
    expect(next.lines).toEqual([expect.stringMatching(/^nmsparse: removed 1 temporary file\(s\) left by killed runs: .*\.k\.npy\.nmsparse-\d+-[0-9a-f]+\.tmp$/)]);
    expect(produced()).toEqual(['k.npy']);
    await clean();
  });
});
