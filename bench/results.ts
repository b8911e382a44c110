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
