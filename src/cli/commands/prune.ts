// `nmsparse prune`: prune one layer W (out × in) to any N:M pattern with pruneLayer; prints the loss and time.
import { encodeNpy } from '../../io/index.js';
import { certify, pruneLayer, type InputLayout, type LayerMethod, type Matrix, type TransposableMethod, type UpdateMethod } from '../../index.js';
import type { Command } from '../command.js';
import { displayText } from '../../core/text.js';
import { choiceFlag, numberFlag, pathFlag } from '../flags.js';
import { withInterrupt, withOutputs } from '../interrupt.js';
import { layerFiles } from '../layerFiles.js';
import { readMatrixNpy } from '../matrixFile.js';
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
const METHOD_FLAG = choiceFlag<LayerMethod>({
  name: 'method',
  choices: { magnitude: 'magnitude', wanda: 'wanda', sparsegpt: 'sparsegpt', alps: 'alps', prox: 'prox' },
  default: 'sparsegpt',
  help: 'magnitude, wanda, sparsegpt, alps, or prox (standard 2:4 only)',
});
const MASK_SOLVER_FLAG = choiceFlag<TransposableMethod>({
  name: 'mask-solver',
  choices: { exact: 'exact', tsenor: 'tsenor', greedy: 'greedy' },
  default: 'exact',
  needs: { name: 'transposable' },
  help: 'solver of the transposable masks',
});
const UPDATE_FLAG = choiceFlag<UpdateMethod | 'default'>({
  name: 'update',
  choices: { default: 'default', exact: 'exact', gradient: 'gradient', none: 'none' },
  default: 'default',
  help: "refit of the kept weights: exact, gradient or none (default: none for sparsegpt, else exact)",
});
/**
 * The scores a magnitude or Wanda mask maximises — |W|, or |W_ij|·‖x_j‖ — so that the mask's gap can be
 * certified; undefined for the methods whose mask maximises no fixed score matrix.
 */
function maskScores(method: LayerMethod, weights: Matrix, data: { inputs: Matrix } | { hessian: Matrix }, layout: InputLayout): Float32Array | undefined {
  if (method === 'magnitude') return weights.data.map(Math.abs);
  if (method !== 'wanda') return undefined;
  const n = weights.cols;
  const squares = new Float64Array(n);
  if ('hessian' in data) {
    for (let j = 0; j < n; j++) squares[j] = Math.max(0, data.hessian.data[j * n + j]);
  } else {
    const x = data.inputs;
    const bySamples = layout === 'samples-by-features';
    for (let i = 0; i < x.data.length; i++) {
      const j = bySamples ? i % x.cols : Math.floor(i / x.cols);
      squares[j] = (squares[j]) + (x.data[i]) ** 2;
    }
  }
  return weights.data.map((w, i) => Math.abs(w) * Math.sqrt(squares[i % n]));
}

const DAMP_FLAG = numberFlag({ name: 'damp', max: 1e6, default: 0.01, help: 'SparseGPT and ALPS: dampening relative to mean(diag H)' });

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
    const { output, maskOut } = files;
    const force = args.get(FORCE_FLAG);
    const update = args.get(UPDATE_FLAG);

    // Every output is checked before any work, and all are committed together (src/io/outputSet.ts).
    const work = (signal: AbortSignal) => withOutputs(files.outputs, { force, inputs: files.inputs, signal, stderr: out.stderr }, async (written) => {
      const weights = await readMatrixNpy(files.weightsPath, 'weights');
      const data = await files.readData();
      const pattern = { n: args.require(N_FLAG), m: args.require(M_FLAG), transposable: args.get(TRANSPOSABLE_FLAG), fill: args.get(FILL_FLAG) };
      const method = args.get(METHOD_FLAG);
      const layout = args.get(LAYOUT_FLAG);
      const result = await pruneLayer(weights, data, {
        ...pattern,
        method,
        maskSolver: args.get(MASK_SOLVER_FLAG),
        ...(update === 'default' ? {} : { update }),
        damp: args.get(DAMP_FLAG),
        layout,
        backend: args.get(BACKEND_FLAG),
        signal,
      });
      // The gap of the final mask for the scores it maximises, where there are such scores.
      const scores = maskScores(method, weights, data, layout);
      const gap = scores && (await certify({ rows: result.rows, cols: result.cols, data: scores }, result.mask, { ...pattern, signal })).gap;
      await written.file(output).write(encodeNpy(result.weights, [result.rows, result.cols], 'f32'));
      if (maskOut !== undefined) await written.file(maskOut).write(encodeNpy(result.mask, [result.rows, result.cols], 'u8'));
      await written.commit();
      const name = `${result.transposable ? 'transposable ' : ''}${result.n}:${result.m}`;
      if (args.get(JSON_FLAG)) {
        const { update: used, relativeLoss, seconds, backend, linalg } = result;
        out.print(JSON.stringify({ output, maskOutput: maskOut ?? null, pattern: name, method, update: used, relativeLoss, gap: gap ?? null, seconds, backend, linalg }));
        return 0;
      }
      out.print(`${name} ${method} (update ${result.update}) of ${result.rows}×${result.cols} → ${displayText(output)}`);
      const certified = gap === undefined ? '' : `  certified gap ${(100 * gap).toPrecision(3)}%`;
      out.print(`  relative loss ${result.relativeLoss.toExponential(4)}${certified}  ${result.seconds.toFixed(2)} s`);
      return 0;
    });
    return withInterrupt(work, out.stderr);
  },
};
