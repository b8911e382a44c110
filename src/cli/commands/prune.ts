// `nmsparse prune`: prune one layer W (out × in) to any N:M pattern with pruneLayer; prints the loss and time.
import type { InputLayout } from '../../index.js';
import type { Command } from '../command.js';
import { choiceFlag, pathFlag } from '../flags.js';
import { withInterrupt, withOutputs } from '../interrupt.js';
import { layerFiles } from '../layerFiles.js';
import { pruneMatrixFile } from '../pruneMatrix.js';
import { DAMP_FLAG, MASK_SOLVER_FLAG, METHOD_FLAG, resolvePruneSettings, UPDATE_FLAG } from '../pruneSettings.js';
import { BACKEND_FLAG, FILL_FLAG, FORCE_FLAG, JSON_FLAG, M_FLAG, N_FLAG, TRANSPOSABLE_FLAG, outputFlag } from '../sharedFlags.js';

const INPUTS_FLAG = pathFlag({ name: 'inputs', placeholder: 'X.npy', help: 'calibration inputs of the layer (layout: --inputs-layout)' });
const HESSIAN_FLAG = pathFlag({ name: 'hessian', placeholder: 'H.npy', help: 'the layer Hessian XᵀX (in × in), instead of --inputs' });
const LAYOUT_FLAG = choiceFlag<InputLayout>({
  name: 'inputs-layout',
  choices: { 'samples-by-features': 'samples-by-features', 'features-by-samples': 'features-by-samples' },
  default: 'samples-by-features',
  needs: { name: 'inputs' },
  help: 'samples × in (what PyTorch activations are) or in × samples',
});
const OUTPUT_FLAG = outputFlag('PRUNED.npy', 'the pruned weights (f32 .npy)');
const MASK_OUT_FLAG = pathFlag({ name: 'mask-out', placeholder: 'MASK.npy', help: 'also write the mask (u8 .npy)' });
const LAYER_FLAGS = { inputs: INPUTS_FLAG, hessian: HESSIAN_FLAG, output: OUTPUT_FLAG, maskOut: MASK_OUT_FLAG };

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'prune a layer W.npy to any N:M pattern (SparseGPT, ALPS, Wanda, magnitude, prox), report the loss',
  usage: ['W.npy (--inputs X.npy | --hessian H.npy) --n N --m M [--transposable] -o PRUNED.npy [--mask-out MASK.npy] [options]'],
  operands: ['W'],
  inputs: ['npy'],
  flags: [
    INPUTS_FLAG,
    LAYOUT_FLAG,
    HESSIAN_FLAG,
    N_FLAG,
    M_FLAG,
    TRANSPOSABLE_FLAG,
    FILL_FLAG,
    METHOD_FLAG,
    MASK_SOLVER_FLAG,
    UPDATE_FLAG,
    DAMP_FLAG,
    OUTPUT_FLAG,
    MASK_OUT_FLAG,
    BACKEND_FLAG,
    FORCE_FLAG,
    JSON_FLAG,
  ],
  notes: [
    'The relative loss is ‖(W − Ŵ)Xᵀ‖² / ‖WXᵀ‖², the local reconstruction error of the layer (docs/pruning.md).',
    'For magnitude and wanda the certified gap of the mask for the scores it maximises (|W|, |W|·‖x‖) is printed too; the other methods maximise no fixed score matrix.',
    '`nmsparse prune24` is the 2:4 command of 0.1.0 (inputs in × samples).',
  ],
  examples: [
    'nmsparse prune W.npy --inputs X.npy --n 2 --m 4 --method sparsegpt -o P.npy',
    'nmsparse prune W.npy --hessian H.npy --n 8 --m 16 --transposable --method alps -o P.npy --mask-out M.npy --json',
  ],
  async run(args, out) {
    const files = await layerFiles(args, LAYER_FLAGS, 'prune', '');
    const settings = resolvePruneSettings(args);
    // Every output is checked before any work, and all are committed together (src/io/outputSet.ts).
    const work = (signal: AbortSignal) =>
      withOutputs(files.outputs, { force: args.get(FORCE_FLAG), inputs: files.inputs, signal, stderr: out.stderr }, (written) =>
        pruneMatrixFile(settings, { files, layout: args.get(LAYOUT_FLAG), written, json: args.get(JSON_FLAG), signal }, out),
      );
    return withInterrupt(work, out.stderr);
  },
};
