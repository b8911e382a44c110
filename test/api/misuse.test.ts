// API misuse, generated: every public function called with one argument or option field replaced by a
// hostile value of any type. Each call must return or reject with an NmsparseError (never another error,
// never a hang), and must not poison the calls after it.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { NmsparseError } from '../../src/index.js';
import { absGaussianMatrix } from '../support/random.js';

/** Per-call bound: every valid call here takes milliseconds, so anything slower is a hang. */
const CALL_LIMIT_MS = 10_000;

const X = absGaussianMatrix(8, 8, 3);
const W = absGaussianMatrix(4, 8, 5);
const INPUTS = absGaussianMatrix(8, 16, 7);

/** The baseline call of every public function: each is valid as it stands. */
function baseCalls(): Record<string, unknown[]> {
  return {
    standardMask: [X, { n: 2, m: 4, backend: 'wasm', out: new Uint8Array(64) }],
    transposableMask: [X, { n: 2, m: 4, method: 'tsenor', fill: 'exact', certify: true, snapshot: true, out: new Uint8Array(64), tsenor: { tau: 50, iterations: 6 } }],
    certify: [X, new Uint8Array(64), { n: 2, m: 4, transposable: true, fill: 'atMost' }],
    scoresFrom: [X, 'abs'],
    toMatrix: [X, 'x'],
    prox24: [X.data, 0.1, { backend: 'reference' }],
    reg24: [X.data],
    magnitudePrune24: [W, { inputs: INPUTS }, { update: 'none' }],
    wandaPrune24: [W, { inputs: INPUTS }, { update: 'gradient', updateIterations: 3 }],
    pruneLayer24: [W, { inputs: INPUTS }, { iterationsPerLevel: 1, update: 'none' }],
    pruneLayer: [W, { inputs: INPUTS }, { n: 2, m: 4, method: 'sparsegpt', layout: 'features-by-samples' }],
    configureWasm: [{ threads: 2, minParallelUnits: 4096 }],
    configureGpu: [{ entriesPerLaunch: 1 << 20 }],
  };
}

/** Values that break careless code: every JS type, edge numbers, lookalikes, and throwing callbacks. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ withBigInt: true, withTypedArray: true, withNullPrototype: true, withMap: true, withSet: true }),
  fc.constantFrom(
    null,
    undefined,
    NaN,
    -0,
    Infinity,
    -1,
    0,
    1.5,
    2 ** 31,
    2 ** 32 + 1,
    2 ** 53,
    Number.MAX_VALUE,
    'abcdefghijklmnop',
    '1234',
    'wasm',
    'auto',
    'atMost',
    Symbol('x'),
    10n,
    () => {
      throw new Error('user callback failed');
    },
    new BigInt64Array(64),
    new Float64Array(64).fill(NaN),
    { rows: 4, cols: 4, data: 'abcdefghijklmnop' },
    { rows: 8, cols: 8, data: new Array(64).fill('1') },
    [[1, 2], [3]],
    AbortSignal.abort(),
  ),
);

/** A call with one field replaced: an argument, or a field of an object argument (one level deep, or tsenor.*). */
const misuse = fc
  .record({
    fn: fc.constantFrom(...Object.keys(baseCalls())),
    arg: fc.nat(),
    key: fc.oneof(fc.constant(undefined), fc.constantFrom('n', 'm', 'rows', 'cols', 'data', 'backend', 'signal', 'onProgress', 'method', 'fill', 'tsenor', 'certify', 'snapshot', 'out', 'transposable', 'inputs', 'hessian', 'update', 'threads', 'minParallelUnits', 'entriesPerLaunch', 'tau', 'iterations', 'localSearchSteps', 'stages', 'unknownOption')),
    value: hostile,
  })
  .map(({ fn, arg, key, value }) => {
    const args = baseCalls()[fn] as unknown[];
    const i = arg % args.length;
    const target = args[i];
    if (key === undefined || target === null || typeof target !== 'object' || ArrayBuffer.isView(target)) {
      args[i] = value;
    } else if (['tau', 'iterations', 'localSearchSteps', 'stages'].includes(key) && fn === 'transposableMask') {
      const options = target as { tsenor: Record<string, unknown> };
      options.tsenor = { ...options.tsenor, [key]: value };
    } else {
      args[i] = { ...(target as object), [key]: value };
    }
    return { fn, args, description: `${fn} argument ${i}${key ? `.${key}` : ''}` };
  });

async function withinLimit<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${CALL_LIMIT_MS} ms`)), CALL_LIMIT_MS);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

afterAll(async () => {
  await api.configureWasm({ threads: 2, minParallelUnits: 4096 });
  await api.releaseGpu();
});

describe('API misuse', () => {
  it('gives a result or an NmsparseError for any value in any field, and never poisons a later call', async () => {
    const reference = await api.standardMask(X, { n: 2, m: 4, backend: 'wasm' });
    const exact = await api.transposableMask(X, { n: 4, m: 8, backend: 'wasm' });
    await fc.assert(
      fc.asyncProperty(misuse, async ({ fn, args, description }) => {
        const call = (api as unknown as Record<string, (...a: unknown[]) => unknown>)[fn] as (...a: unknown[]) => unknown;
        try {
          await withinLimit(Promise.resolve().then(() => call(...args)), description);
        } catch (e) {
          if (!(e instanceof NmsparseError)) {
            // A user callback's own error is the one case where another error type is the right answer.
            const fromCallback = e instanceof Error && e.message === 'user callback failed';
            expect(fromCallback, `${description}: ${String(e)}`).toBe(true);
          } else {
            expect(e.code).toMatch(/^E_[A-Z]+$/);
            expect(e.message.length).toBeLessThan(600);
          }
        }
        await api.configureWasm({ threads: 2, minParallelUnits: 4096 });
        // The next valid calls still give the right answers.
        expect((await api.standardMask(X, { n: 2, m: 4, backend: 'wasm' })).mask).toEqual(reference.mask);
        expect((await api.transposableMask(X, { n: 4, m: 8, backend: 'wasm' })).objective).toBe(exact.objective);
      }),
      { seed: 20261201, numRuns: 400 },
    );
  });

  it('a throwing onProgress rejects the call with its error, inline and on the worker pool', async () => {
    const big = absGaussianMatrix(256, 256, 9);
    for (const [threads, minParallelUnits] of [[1, 4096], [2, 0]] as const) {
      await api.configureWasm({ threads, minParallelUnits });
      const run = api.transposableMask(big, {
        n: 8,
        m: 16,
        backend: 'wasm',
        onProgress: () => {
          throw new Error('progress bar broke');
        },
      });
      await expect(run).rejects.toThrow('progress bar broke');
    }
    await api.configureWasm({ threads: 2, minParallelUnits: 4096 });
    expect((await api.transposableMask(big, { n: 8, m: 16, backend: 'wasm' })).gap).toBe(0);
  });

  it('rejects a string where data belongs, in toMatrix and certify alike, instead of solving stale memory', async () => {
    const strange = { rows: 4, cols: 4, data: 'abcdefghijklmnop' } as unknown as api.Matrix;
    expect(() => api.toMatrix(strange)).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    await expect(api.transposableMask(strange, { n: 2, m: 4, backend: 'wasm' })).rejects.toMatchObject({ code: 'E_SHAPE' });
    await expect(api.certify(X, strange as never, { n: 2, m: 4 })).rejects.toMatchObject({ code: 'E_SHAPE' });
  });
});
