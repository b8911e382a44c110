import { renameSync, writeFileSync } from 'node:fs';
import type { NativeRun } from './native.js';
import type { CaseBase, Measured } from './suite.js';

export type CaseStatus = 'ok' | 'skipped' | 'failed';

/** One row of the results: the case, what happened, and the figures when it ran. */
export interface CaseRow {
  case: CaseBase;
  status: CaseStatus;
  /** Why a case was skipped or failed. */
  reason?: string;
  measured?: Measured;
  /** The native reference on the same matrix (exact rows only, when a C compiler is present). */
  native?: NativeRun[];
  /** This row's median seconds over the native pd2's best time. */
  nativeRatio?: number;
  /** Whether every native run found a valid mask with this row's objective (relative 1e-9). */
  nativeAgrees?: boolean;
  /** The reference backend's median for the same case over this row's (other backends only). */
  speedupOverReference?: number;
}

/** Sets each non-reference row's speed-up over the reference backend on the same case, where both ran. */
export function addReferenceSpeedups(rows: CaseRow[]): void {
  const reference = new Map<string, number>();
  for (const row of rows) {
    if (row.case.backend === 'reference' && row.measured) reference.set(row.case.id, row.measured.medianSeconds);
  }
  for (const row of rows) {
    const base = reference.get(row.case.id);
    if (row.case.backend !== 'reference' && row.measured && base !== undefined) {
      row.speedupOverReference = base / row.measured.medianSeconds;
    }
  }
}

export interface RunInfo {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  quick: boolean;
  /** The backends that ran, each with what it runs on (threads, SIMD, adapter). */
  backends: string[];
  command: string;
  /** The checkout's commit, when run inside a git checkout. */
  commit?: string;
  /** 1-minute load average at the start and the end: other work on the machine slows every row. */
  loadAverage: { start: number; end: number };
  /** Why the native comparison is missing, when it is. */
  nativeNote?: string;
}

export interface Results {
  info: RunInfo;
  rows: CaseRow[];
}

/** Writes JSON through a temporary file and a rename, so a reader never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n');
  renameSync(temporary, path);
}
