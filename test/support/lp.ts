import highsModule from 'highs';
import type { Matrix } from '../../src/core/matrix.js';
import type { Fill } from '../../src/core/types.js';

// highs ships ESM at runtime but CommonJS-style typings; take the loader from whichever shape arrives.
type HighsLoader = (typeof highsModule)['default'];
const loadHighs = ((highsModule as unknown as { default?: HighsLoader }).default ?? highsModule) as unknown as HighsLoader;

let highsPromise: ReturnType<HighsLoader> | undefined;

/**
 * The transposable N:M LP relaxation of a whole matrix (0 ≤ x ≤ 1, N per tile row and column, = or ≤),
 * solved by HiGHS: an independent LP solver to check nmsparse's exact optimum against.
 */
export async function transposableLpOptimum(scores: Matrix, n: number, m: number, fill: Fill): Promise<number> {
  highsPromise ??= loadHighs();
  const highs = await highsPromise;
  const { rows, cols, data } = scores;
  const sense = fill === 'exact' ? '=' : '<=';
  const objective: string[] = [];
  const constraints: string[] = [];
  const bounds: string[] = [];
  for (let k = 0; k < rows * cols; k++) {
    objective.push(`${(data[k] as number) >= 0 ? '+' : '-'} ${Math.abs(data[k] as number).toPrecision(17)} x${k}`);
    bounds.push(`0 <= x${k} <= 1`);
  }
  for (let r0 = 0; r0 < rows; r0 += m) {
    for (let c0 = 0; c0 < cols; c0 += m) {
      for (let i = 0; i < m; i++) {
        const row: string[] = [];
        const col: string[] = [];
        for (let j = 0; j < m; j++) {
          row.push(`x${(r0 + i) * cols + c0 + j}`);
          col.push(`x${(r0 + j) * cols + c0 + i}`);
        }
        constraints.push(`r${r0 + i}_${c0}: ${row.join(' + ')} ${sense} ${n}`);
        constraints.push(`c${r0}_${c0 + i}: ${col.join(' + ')} ${sense} ${n}`);
      }
    }
  }
  const lp = `Maximize\n obj: ${objective.join(' ')}\nSubject To\n ${constraints.join('\n ')}\nBounds\n ${bounds.join('\n ')}\nEnd\n`;
  const result = highs.solve(lp, { output_flag: false });
  if (result.Status !== 'Optimal') throw new Error(`HiGHS ended with status ${result.Status}`);
  return result.ObjectiveValue;
}
