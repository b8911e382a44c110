import { linkSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * The folder name of a machine under bench/results/: its CPU model and core count, lower-case, with
 * every run of other characters turned into one '-' ("AMD EPYC", 2 → "amd-epyc-2c"). Trademark marks
 * and the clock suffix ("@ 2.90GHz") are dropped: they name no different machine.
 */
export function machineId(cpuModel: string, cores: number): string {
  const model = cpuModel
    .replace(/\((r|tm|c)\)/gi, ' ')
    .replace(/@.*$/, ' ')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `${model || 'unknown-cpu'}-${cores}c`;
}

/** The UTC day (YYYY-MM-DD) of an ISO date such as RunInfo.date. */
export function runDay(isoDate: string): string {
  const day = /^(\d{4}-\d{2}-\d{2})T/.exec(isoDate)?.[1];
  if (!day) throw new Error(`not an ISO date: ${JSON.stringify(isoDate)}`);
  return day;
}

/**
 * Writes a run's results to `dir/<machine id>/<day>.json`, or `<day>-2.json`, `-3`, … when that name is
 * taken, and returns the path. Another bench than the mask suite names its `kind`, and its files go to
 * `dir/<machine id>/<kind>/` instead (out of the way of `npm run bench:report`, which reads the machine
 * folder's own files only). An existing file is never replaced: the complete file is written under a
 * temporary name and then hard-linked to the first free name (a link fails when the name exists, so two
 * runs cannot take the same one), so a reader never sees half a file either.
 */
export function writeNewResultsFile(
  dir: string,
  results: { info: Pick<RunInfo, 'date' | 'cpus' | 'cpuModel'> },
  kind?: string,
): string {
  const machine = join(dir, machineId(results.info.cpuModel, results.info.cpus));
  const folder = kind === undefined ? machine : join(machine, kind);
  mkdirSync(folder, { recursive: true });
  const day = runDay(results.info.date);
  const temporary = join(folder, `.${day}.json.tmp-${process.pid}`);
  writeFileSync(temporary, JSON.stringify(results, null, 2) + '\n');
  try {
    for (let k = 1; ; k++) {
      const path = join(folder, k === 1 ? `${day}.json` : `${day}-${k}.json`);
      try {
        linkSync(temporary, path);
        return path;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  } finally {
    unlinkSync(temporary);
  }
}
