import { Bench } from 'tinybench';

export interface TimingPlan {
  /** Most timed samples per case. */
  maxSamples: number;
  /** Sampling time per case (seconds); the sample count is chosen from the warm-up call. */
  budgetSeconds: number;
  /**
   * A warm-up call slower than this is itself the only sample: one-time costs (JIT, compiling the
   * wasm module, starting workers) are then small beside it, and repeating it would only burn the
   * shared machine.
   */
  singleCallSeconds: number;
}

export interface Timing<T> {
  medianSeconds: number;
  minSeconds: number;
  samples: number;
  /** The value of the last timed call (for checks outside the timed region). */
  last: T;
}

function seconds(fromMs: number): number {
  return (performance.now() - fromMs) / 1000;
}

/**
 * Times `call` with tinybench: one warm-up call picks the number of samples (budget / its time, from 1
 * to maxSamples), so that a case takes about `budgetSeconds` whatever its speed.
 */
export async function timeCall<T>(call: () => Promise<T>, plan: TimingPlan): Promise<Timing<T>> {
  const start = performance.now();
  let last = await call();
  const probe = seconds(start);
  if (probe >= plan.singleCallSeconds) return { medianSeconds: probe, minSeconds: probe, samples: 1, last };

  const samples = Math.max(1, Math.min(plan.maxSamples, Math.round(plan.budgetSeconds / Math.max(probe, 1e-6))));
  const bench = new Bench({ iterations: samples, time: 0, warmup: false, throws: true });
  bench.add('case', async () => {
    last = await call();
  });
  const [task] = await bench.run();
  const result = task?.result;
  if (!result || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    throw new Error(`tinybench did not complete the case (state ${result?.state ?? 'missing'})`);
  }
  return {
    medianSeconds: result.latency.p50 / 1000,
    minSeconds: result.latency.min / 1000,
    samples: result.latency.samplesCount,
    last,
  };
}

/** Peak resident memory of this process so far, in MiB (the kernel's high-water mark). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
