import { certify } from '../src/verify/certify.js';
import { standardMask, transposableMask, type MaskResult } from '../src/masks.js';
import { scoreMatrix, type MatrixKind } from './random.js';
import type { CaseBase, Measured, Suite, SuiteConfig } from './suite.js';
import { peakRssMiB, timeCall, type TimingPlan } from './timing.js';
import type { BackendName, TransposableMethod } from '../src/core/types.js';

export type MaskMethod = 'standard' | TransposableMethod;

export interface MaskCase extends CaseBase {
  suite: 'mask';
  method: MaskMethod;
  n: number;
  m: number;
  matrix: MatrixKind;
  seed: number;
  /** Every call writes into one array allocated before timing (the `out` option). */
  intoOut: boolean;
}

export const MASK_METHODS: readonly MaskMethod[] = ['standard', 'exact', 'greedy', 'tsenor'];
export const PATTERNS: ReadonlyArray<readonly [number, number]> = [
  [2, 4],
  [4, 8],
  [8, 16],
  [16, 32],
];
export const SIZES: readonly number[] = [1024, 4096];
/** Every case of the suite uses this matrix seed (the native comparison writes the same matrix). */
export const MATRIX_SEED = 20250601;

export function maskCase(
  method: MaskMethod,
  backend: string,
  size: number,
  n: number,
  m: number,
  matrix: MatrixKind = 'gaussian',
  intoOut = false,
): MaskCase {
  const pattern = `${n}:${m}`;
  const into = intoOut ? ' into out' : '';
  return {
    suite: 'mask',
    id: `${method} ${pattern} ${size}² ${matrix}${into}`,
    family: `${method} ${pattern} ${matrix} ${backend}${into}`,
    work: size * size,
    method,
    backend,
    size,
    n,
    m,
    matrix,
    seed: MATRIX_SEED,
    intoOut,
  };
}

/** Sizes and patterns of a run: a quick run does 1024² and only the 8:16 rows of 4096². */
function plannedShapes(config: SuiteConfig): Array<[number, number, number]> {
  const sizes = config.sizes.length > 0 ? config.sizes : SIZES;
  const shapes: Array<[number, number, number]> = [];
  for (const size of sizes) {
    for (const [n, m] of PATTERNS) {
      if (config.quick && size > 1024 && m !== 16) continue;
      if (config.patterns.length > 0 && !config.patterns.includes(`${n}:${m}`)) continue;
      shapes.push([size, n, m]);
    }
  }
  return shapes;
}

function wanted(config: SuiteConfig, method: MaskMethod): boolean {
  return config.methods.length === 0 || config.methods.includes(method);
}

export const maskSuite: Suite<MaskCase> = {
  name: 'mask',

  /** Each case on every backend in turn, so that backends sit side by side in the table. */
  cases(config) {
    const out: MaskCase[] = [];
    const add = (method: MaskMethod, size: number, n: number, m: number, matrix?: MatrixKind): void => {
      if (!wanted(config, method)) return;
      for (const backend of config.backends) out.push(maskCase(method, backend, size, n, m, matrix, config.intoOut ?? false));
    };
    for (const [size, n, m] of plannedShapes(config)) for (const method of MASK_METHODS) add(method, size, n, m);
    // TSENOR's hard case (docs/design.md, "TSENOR"): columns of very different scale; greedy beside it for scale.
    const scaledSize = Math.min(...(config.sizes.length > 0 ? config.sizes : SIZES));
    if (config.patterns.length > 0 && !config.patterns.includes('8:16')) return out;
    for (const method of ['tsenor', 'greedy'] as const) add(method, scaledSize, 8, 16, 'column-scaled');
    return out;
  },

  async measure(c: MaskCase, plan: TimingPlan): Promise<Measured> {
    const scores = scoreMatrix(c.size, c.size, c.matrix, c.seed);
    const { n, m } = c;
    const backend = c.backend as BackendName;
    const out = c.intoOut ? new Uint8Array(c.size * c.size) : undefined;
    const call = (): Promise<MaskResult & { gap?: number }> =>
      c.method === 'standard'
        ? standardMask(scores, { n, m, backend, out })
        : transposableMask(scores, { n, m, method: c.method, backend, out });
    const baseline = peakRssMiB();
    const timing = await timeCall(call, plan);
    const peak = peakRssMiB();

    // Outside the timed region: exact results carry their certificate; the others are certified here.
    const result = timing.last;
    const gap =
      result.gap ?? (await certify(scores, result.mask, { n, m, transposable: c.method !== 'standard' })).gap;
    const tiles = (c.size / m) * (c.size / m);
    return {
      medianSeconds: timing.medianSeconds,
      minSeconds: timing.minSeconds,
      samples: timing.samples,
      throughput: tiles / timing.medianSeconds,
      throughputUnit: 'tiles/s',
      gap,
      objective: result.objective,
      peakRssMiB: peak,
      baselineRssMiB: baseline,
      inputMiB: scores.data.byteLength / 2 ** 20,
    };
  },
};
