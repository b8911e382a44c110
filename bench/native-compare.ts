import type { MaskCase } from './mask-suite.js';
import { buildNativeTool, findNativeSource, removeNativeTool, repoRoot, runNative, writeNativeInput } from './native.js';
import { scoreMatrix } from './random.js';
import type { CaseRow } from './results.js';

const NATIVE_THREADS = 2;

function isExactGaussian(row: CaseRow): row is CaseRow & { case: MaskCase } {
  const c = row.case as Partial<MaskCase>;
  return row.status === 'ok' && c.suite === 'mask' && c.method === 'exact' && c.matrix === 'gaussian';
}

/**
 * Runs the native C primal-dual (and, for 2:4, the 90-pattern enumeration) on the same matrices as the
 * exact rows, records the ratio of each row's median to native pd2 and whether both found the same
 * optimum. Returns why it could not, if so.
 */
export function compareWithNative(rows: CaseRow[], nativeRef: string | undefined, reps: number): string | undefined {
  const exactRows = rows.filter(isExactGaussian);
  if (exactRows.length === 0) return undefined;
  const tool = buildNativeTool(findNativeSource(nativeRef, repoRoot()));
  if (!tool.available) return tool.reason;
  try {
    const shapes = new Map<string, MaskCase>();
    for (const row of exactRows) shapes.set(`${row.case.size} ${row.case.n}:${row.case.m}`, row.case);
    const inputs = new Map<number, string>();
    for (const c of shapes.values()) {
      let input = inputs.get(c.size);
      if (!input) {
        input = writeNativeInput(tool, scoreMatrix(c.size, c.size, c.matrix, c.seed), `gaussian-${c.size}`);
        inputs.set(c.size, input);
      }
      const methods = c.n === 2 && c.m === 4 ? ['pd2', 'enum24'] : ['pd2'];
      const runs = methods.map((method) => runNative(tool, input, method, c.n, c.m, NATIVE_THREADS, reps));
      for (const row of exactRows) {
        if (row.case.size !== c.size || row.case.n !== c.n || row.case.m !== c.m) continue;
        row.native = runs;
        const pd2 = runs[0];
        if (!row.measured || !pd2) continue;
        if (pd2.seconds > 0) row.nativeRatio = row.measured.medianSeconds / pd2.seconds;
        const objective = row.measured.objective ?? NaN;
        row.nativeAgrees = runs.every((r) => r.valid && Math.abs(r.objective - objective) <= 1e-9 * Math.abs(objective));
      }
    }
    return undefined;
  } catch (error) {
    return `native run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  } finally {
    removeNativeTool(tool);
  }
}
