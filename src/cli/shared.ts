import type { ScoreKind } from '../scores.js';
import type { Fill, BackendChoice, TransposableMethod } from '../core/types.js';

/** CLI spellings of option values, mapped to the API's. */
export const METHOD_CHOICES: Record<string, TransposableMethod> = { exact: 'exact', tsenor: 'tsenor', greedy: 'greedy' };
export const FILL_CHOICES: Record<string, Fill> = { exact: 'exact', 'at-most': 'atMost' };
export const SCORE_CHOICES: Record<string, ScoreKind> = { abs: 'abs', raw: 'raw' };
export const BACKEND_CHOICES: Record<string, BackendChoice> = {
  auto: 'auto',
  reference: 'reference',
  wasm: 'wasm',
  gpu: 'gpu',
};

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A relative gap as a percentage with enough digits to tell 0 from tiny. */
export function formatGap(gap: number): string {
  return gap === 0 ? '0%' : `${(gap * 100).toPrecision(3)}%`;
}
