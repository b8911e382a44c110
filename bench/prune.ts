import { runKernel } from '../src/backends/registry.js';
import '../src/backends/all.js';
import { gaussianMatrix } from '../src/core/random.js';
import type { LayerMethod, PruneResult } from '../src/prune/pruneOptions.js';
import { pruneLayer } from '../src/prune/pruneLayer.js';
import type { UpdateMethod } from '../src/prune/update.js';
import { ar1Layer } from '../test/support/ar1Layer.js';
import type { CaseBase, Measured, Suite, SuiteConfig } from './suite.js';
import { peakRssMiB, timeCall, type TimingPlan } from './timing.js';
import type { BackendName } from '../src/core/types.js';

/** `prox24`: the operator alone on a Gaussian size×size matrix; `<method>+<update>`: a layer pruner. */
export interface PruneCase extends CaseBase {
  suite: 'prune';
  /** Layer: out = in = size, with 4·size calibration samples of AR(1) inputs (ρ = 0.9). */
  samples: number;
  seed: number;
}

const SEED = 20250602;
/** λ for the operator case: with N(0, 1) values about a third of the groups keep 3 or 4 nonzeros. */
const PROX_LAMBDA = 0.5;
const UPDATES: readonly UpdateMethod[] = ['none', 'gradient', 'exact'];
/** Every 2:4 pruneLayer method (bench/prune-layers.ts compares them across layers and patterns). */
const METHODS: readonly LayerMethod[] = ['prox', 'alps', 'sparsegpt', 'wanda', 'magnitude'];

function pruneCase(method: string, backend: string, size: number, work: number): PruneCase {
  const unit = method === 'prox24' ? `${size}² gaussian λ=${PROX_LAMBDA}` : `${size}×${size} layer, ${4 * size} samples`;
  return {
    suite: 'prune',
    id: `${method} ${unit}`,
    family: `${method} ${backend}`,
    method,
    backend,
    size,
    work,
    samples: 4 * size,
    seed: SEED,
  };
}

function wanted(config: SuiteConfig, method: string): boolean {
  return config.methods.length === 0 || config.methods.includes(method) || config.methods.includes('prune');
}

export const pruneSuite: Suite<PruneCase> = {
  name: 'prune',

  cases(config) {
    const sizes = config.sizes.length > 0 ? config.sizes : config.quick ? [256] : [256, 1024];
    const out: PruneCase[] = [];
    for (const size of sizes) {
      for (const backend of config.backends) {
        if (wanted(config, 'prox24')) out.push(pruneCase('prox24', backend, size, size * size));
        // The pruners' work grows like size³ (size×size by size×size products).
        for (const method of METHODS) {
          for (const update of UPDATES) {
            if (wanted(config, method)) out.push(pruneCase(`${method}+${update}`, backend, size, size ** 3));
          }
        }
      }
    }
    return out;
  },

  async measure(c: PruneCase, plan: TimingPlan): Promise<Measured> {
    const backend = c.backend as BackendName;
    if (c.method === 'prox24') {
      const z = gaussianMatrix(c.size, c.size, c.seed).data;
      const baseline = peakRssMiB();
      const timing = await timeCall(() => runKernel('prox24', backend, z.length, { z, lambda: PROX_LAMBDA }, {}), plan);
      return {
        medianSeconds: timing.medianSeconds,
        minSeconds: timing.minSeconds,
        samples: timing.samples,
        throughput: z.length / 4 / timing.medianSeconds,
        throughputUnit: 'groups/s',
        peakRssMiB: peakRssMiB(),
        baselineRssMiB: baseline,
        inputMiB: z.byteLength / 2 ** 20,
      };
    }
    const [method, update] = c.method.split('+') as [LayerMethod, UpdateMethod];
    const { weights, inputs } = ar1Layer(c.size, c.size, c.samples, 0.9, c.seed);
    const baseline = peakRssMiB();
    const options = { n: 2, m: 4, method, update, backend, layout: 'features-by-samples' as const };
    const timing = await timeCall<PruneResult>(() => pruneLayer(weights, { inputs }, options), plan);
    const result = timing.last;
    return {
      medianSeconds: timing.medianSeconds,
      minSeconds: timing.minSeconds,
      samples: timing.samples,
      throughput: (c.size * c.size) / timing.medianSeconds,
      throughputUnit: 'weights/s',
      peakRssMiB: peakRssMiB(),
      baselineRssMiB: baseline,
      inputMiB: (weights.data.byteLength + inputs.data.byteLength) / 2 ** 20,
      extra: { relativeLoss: result.relativeLoss, lambdaLevels: result.history.length },
    };
  },
};
