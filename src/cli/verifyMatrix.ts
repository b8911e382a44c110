/**
 * `nmsparse verify SCORES.npy MASK.npy`: validity, objective and certified gap of one mask against
 * its scores, through the public verifier (which trusts no solver). Exit 0 valid, 1 invalid.
 */
import { certify, scoresFrom, type BackendChoice, type Fill, type ScoreKind } from '../index.js';
import type { CliOutput } from './command.js';
import { readMaskNpy, readMatrixNpy } from './matrixFile.js';
import type { Pattern } from './sharedFlags.js';
import { formatGap } from './table.js';

export interface VerifySettings extends Pattern {
  fill: Fill;
  score: ScoreKind;
  backend: BackendChoice;
  json: boolean;
}

export async function verifyMatrixFiles(scoresPath: string, maskPath: string, v: VerifySettings, signal: AbortSignal, out: CliOutput): Promise<number> {
  const scores = scoresFrom(await readMatrixNpy(scoresPath, 'scores'), v.score);
  const mask = await readMaskNpy(maskPath);
  const c = await certify(scores, mask, { n: v.n, m: v.m, transposable: v.transposable, fill: v.fill, backend: v.backend, signal });
  if (v.json) {
    out.print(JSON.stringify(c));
  } else {
    out.print(c.valid ? 'valid' : `INVALID: ${c.violationCount} violation(s)`);
    for (const violation of c.violations) out.print(`  ${JSON.stringify(violation)}`);
    out.print(`objective ${c.objective.toPrecision(10)}, upper bound ${c.upperBound.toPrecision(10)}, certified gap ${formatGap(c.gap)}`);
  }
  return c.valid ? 0 : 1;
}
