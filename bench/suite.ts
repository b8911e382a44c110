import type { TimingPlan } from './timing.js';

/** What every benchmark case carries; a suite adds its own fields. Cases cross a process boundary as JSON. */
export interface CaseBase {
  suite: string;
  /** Unique, human-readable name of the case, e.g. "exact 8:16 4096² gaussian". */
  id: string;
  method: string;
  backend: string;
  size: number;
  /**
   * Cases of one family differ only in size; their run time is predicted from the smaller ones
   * as proportional to `work`, so that hopeless cases are skipped instead of hanging.
   */
  family: string;
  work: number;
}

/** The figures a suite measures for one case (the runner adds the case, status and native ratio). */
export interface Measured {
  medianSeconds: number;
  minSeconds: number;
  samples: number;
  throughput: number;
  throughputUnit: string;
  /** Mean certified gap (UB − objective)/UB of the result, measured outside the timed region. */
  gap?: number;
  objective?: number;
  /** Peak resident memory of the process that ran the case (MiB), and the input's size. */
  peakRssMiB: number;
  /** Peak resident memory before the first call: Node itself plus the generated input (MiB). */
  baselineRssMiB: number;
  inputMiB: number;
  /** Suite-specific figures (for example a pruner's relative loss). */
  extra?: Record<string, number>;
}

export interface SuiteConfig {
  quick: boolean;
  /** Backends that are registered and available here, in run order. */
  backends: string[];
  /** Filters from the command line; empty means all. */
  methods: string[];
  sizes: number[];
  /** N:M patterns such as "8:16" (suites without patterns ignore it). */
  patterns: string[];
  /** Mask suite: every call writes into one array allocated before timing (the `out` option). */
  intoOut?: boolean;
}

export interface Suite<C extends CaseBase = CaseBase> {
  name: string;
  cases(config: SuiteConfig): C[];
  measure(benchCase: C, plan: TimingPlan): Promise<Measured>;
}
