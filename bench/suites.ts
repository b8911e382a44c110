import { maskSuite } from './mask-suite.js';
import { pruneSuite } from './prune.js';
import type { CaseBase, Suite } from './suite.js';

/** Every suite `npm run bench` runs, in order. A new suite (e.g. the pruner's) adds itself here. */
export const SUITES: ReadonlyArray<Suite<CaseBase>> = [maskSuite, pruneSuite as Suite<CaseBase>];

export function suiteNamed(name: string): Suite<CaseBase> {
  const suite = SUITES.find((s) => s.name === name);
  if (!suite) throw new Error(`bench: unknown suite ${JSON.stringify(name)}`);
  return suite;
}
