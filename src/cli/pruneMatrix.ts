/**
 * `nmsparse prune W.npy (--inputs X.npy | --hessian H.npy) -o PRUNED.npy`: one layer W (out × in) pruned
 * with pruneLayer; the f32 weights (and with --mask-out the u8 mask) go to the run's outputs, then the
 * relative loss, the certified gap where defined (pruneSettings.ts) and the time are reported.
 */
import { encodeNpy } from '../io/index.js';
import type { OutputSet } from '../io/outputSet.js';
import { pruneLayer, type InputLayout } from '../index.js';
import { displayText } from '../core/text.js';
import type { CliOutput } from './command.js';
import type { LayerFiles } from './layerFiles.js';
import { readMatrixNpy } from './matrixFile.js';
import { layerOptions, maskGap, type PruneSettings } from './pruneSettings.js';

export interface LayerRun {
  files: LayerFiles;
  layout: InputLayout;
  written: OutputSet;
  json: boolean;
  signal: AbortSignal;
}

export async function pruneMatrixFile(s: PruneSettings, run: LayerRun, out: CliOutput): Promise<number> {
  const { files, layout, written, signal } = run;
  const { output, maskOut } = files;
  const weights = await readMatrixNpy(files.weightsPath, 'weights');
  const data = await files.readData();
  const result = await pruneLayer(weights, data, layerOptions(s, { layout, signal }));
  const gap = await maskGap(s, weights, data, layout, result.mask, signal);
  await written.file(output).write(encodeNpy(result.weights, [result.rows, result.cols], 'f32'));
  if (maskOut !== undefined) await written.file(maskOut).write(encodeNpy(result.mask, [result.rows, result.cols], 'u8'));
  await written.commit();
  const name = `${result.transposable ? 'transposable ' : ''}${result.n}:${result.m}`;
  if (run.json) {
    const { update, relativeLoss, seconds, backend, linalg } = result;
    out.print(JSON.stringify({ output, maskOutput: maskOut ?? null, pattern: name, method: s.method, update, relativeLoss, gap: gap ?? null, seconds, backend, linalg }));
    return 0;
  }
  out.print(`${name} ${s.method} (update ${result.update}) of ${result.rows}×${result.cols} → ${displayText(output)}`);
  const certified = gap === undefined ? '' : `  certified gap ${(100 * gap).toPrecision(3)}%`;
  out.print(`  relative loss ${result.relativeLoss.toExponential(4)}${certified}  ${result.seconds.toFixed(2)} s`);
  return 0;
}
