// `nmsparse prune24`: prune one layer W (out × in) to 2:4 against its inputs or Hessian; prints the loss.
import { encodeNpy } from '../../io/index.js';
import type { LayerData, MatrixLike, PruneMethod, PruneOptions, PruneResult, UpdateMethod } from '../../index.js';
import type { Command } from '../command.js';
import { displayText } from '../../core/text.js';
import { booleanFlag, choiceFlag, pathFlag } from '../flags.js';
import { withInterrupt, withOutputs } from '../interrupt.js';
import { layerFiles } from '../layerFiles.js';
import { readMatrixNpy } from '../matrixFile.js';
import { BACKEND_FLAG, FORCE_FLAG, JSON_FLAG, outputFlag } from '../sharedFlags.js';
import { formatTable, left, right } from '../table.js';

type Pruner = (weights: MatrixLike, data: LayerData, options: PruneOptions) => Promise<PruneResult>;
const METHODS: readonly PruneMethod[] = ['prox', 'wanda', 'magnitude'];

/** The pruners, loaded when the command runs (commands/index.ts). */
async function pruners(): Promise<Record<PruneMethod, Pruner>> {
  const { magnitudePrune24, pruneLayer24, wandaPrune24 } = await import('../../index.js');
  return { prox: pruneLayer24, wanda: wandaPrune24, magnitude: magnitudePrune24 };
}
const UPDATES: Record<string, UpdateMethod> = { exact: 'exact', gradient: 'gradient', none: 'none' };

const INPUTS_FLAG = pathFlag({ name: 'inputs', placeholder: 'X.npy', help: 'calibration inputs of the layer (in × samples)' });
const HESSIAN_FLAG = pathFlag({ name: 'hessian', placeholder: 'H.npy', help: 'the layer Hessian X·Xᵀ (in × in), instead of --inputs' });
const OUTPUT_FLAG = outputFlag('PRUNED.npy', 'the pruned weights (f32 .npy)');
const MASK_OUT_FLAG = pathFlag({ name: 'mask-out', placeholder: 'MASK.npy', help: 'also write the 2:4 mask (u8 .npy)' });
const LAYER_FLAGS = { inputs: INPUTS_FLAG, hessian: HESSIAN_FLAG, output: OUTPUT_FLAG, maskOut: MASK_OUT_FLAG };
const METHOD_FLAG = choiceFlag<PruneMethod>({
  name: 'method',
  choices: { prox: 'prox', wanda: 'wanda', magnitude: 'magnitude' },
  default: 'prox',
  help: 'prox (2:4 proximal pruner), wanda or magnitude',
});
const UPDATE_FLAG = choiceFlag<UpdateMethod>({ name: 'update', choices: UPDATES, default: 'exact', help: 'refit of the kept weights once the mask is fixed' });
const COMPARE_FLAG = booleanFlag({ name: 'compare', help: 'also run every other method and update, and list their losses' });

function summary(r: PruneResult) {
  return { method: r.method, update: r.update, relativeLoss: r.relativeLoss, seconds: r.seconds, lambdaLevels: r.history.length };
}

export const prune24Command: Command = {
  name: 'prune24',
  summary: 'prune a layer W.npy to 2:4 given its inputs or Hessian, refit the kept weights, report the loss',
  usage: ['W.npy (--inputs X.npy | --hessian H.npy) -o PRUNED.npy [--mask-out MASK.npy] [options]'],
  operands: ['W'],
  inputs: ['npy'],
  flags: [INPUTS_FLAG, HESSIAN_FLAG, OUTPUT_FLAG, MASK_OUT_FLAG, METHOD_FLAG, UPDATE_FLAG, BACKEND_FLAG, COMPARE_FLAG, FORCE_FLAG, JSON_FLAG],
  notes: ['The relative loss is ‖(W − Ŵ)X‖² / ‖WX‖², the local reconstruction error of the layer.'],
  examples: ['nmsparse prune24 W.npy --inputs X.npy -o W24.npy --mask-out M24.npy', 'nmsparse prune24 W.npy --hessian H.npy -o W24.npy --compare --json'],
  async run(args, out) {
    const files = await layerFiles(args, LAYER_FLAGS, 'prune24', ' (in × samples)');
    const { output, maskOut } = files;
    const method = args.get(METHOD_FLAG);
    const update = args.get(UPDATE_FLAG);
    const backend = args.get(BACKEND_FLAG);
    const force = args.get(FORCE_FLAG);
    const PRUNERS = await pruners();

    // Every output is checked before any work, and all are committed together (src/io/outputSet.ts).
    const work = (signal: AbortSignal) => withOutputs(files.outputs, { force, inputs: files.inputs, signal, stderr: out.stderr }, async (written) => {
      const weights = await readMatrixNpy(files.weightsPath, 'weights');
      const data = await files.readData();
      const result = await PRUNERS[method](weights, data, { update, backend, signal });
      await written.file(output).write(encodeNpy(result.weights, [result.rows, result.cols], 'f32'));
      if (maskOut !== undefined) await written.file(maskOut).write(encodeNpy(result.mask, [result.rows, result.cols], 'u8'));
      const rows = [summary(result)];
      if (args.get(COMPARE_FLAG)) {
        for (const other of METHODS) {
          for (const u of Object.values(UPDATES)) {
            if (other !== method || u !== update) rows.push(summary(await PRUNERS[other](weights, data, { update: u, backend, signal })));
          }
        }
      }
      await written.commit();
      if (args.get(JSON_FLAG)) {
        out.print(JSON.stringify({ output, maskOutput: maskOut ?? null, results: rows }));
        return 0;
      }
      out.print(`2:4 ${method} (update ${update}) of ${result.rows}×${result.cols} → ${displayText(output)}`);
      const cells = rows.map((r) => [`${r.method}+${r.update}`, r.relativeLoss.toExponential(4), r.seconds.toFixed(2)]);
      for (const line of formatTable([left('method'), right('relative loss'), right('seconds')], cells)) out.print(line);
      return 0;
    });
    return withInterrupt(work, out.stderr);
  },
};
