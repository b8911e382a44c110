// `nmsparse prune`: prune one layer W.npy, or every weight of a checkpoint that has a Hessian, to any
// N:M pattern with pruneLayer; reports the loss, the certified gap where defined, and the time.
import { resolve } from 'node:path';
import type { InputLayout } from '../../index.js';
import type { CliOutput, Command } from '../command.js';
import { choiceFlag, optionError, pathFlag } from '../flags.js';
import { detectFormat } from '../../io/index.js';
import { checkOutputName, inputKindOf } from '../inputKind.js';
import { withInterrupt, withOutputs } from '../interrupt.js';
import { layerFiles } from '../layerFiles.js';
import type { ParsedArgs } from '../parse.js';
import type { WithoutHessian } from '../pruneCheckpoint.js';
import { DAMP_FLAG, MASK_SOLVER_FLAG, METHOD_FLAG, resolvePruneSettings, UPDATE_FLAG, type PruneSettings } from '../pruneSettings.js';
import { progressFor } from '../progress.js';
import {
  BACKEND_FLAG,
  checkMaxShardSize,
  CONV_FLAG,
  EXCLUDE_FLAG,
  FILL_FLAG,
  FORCE_FLAG,
  INCLUDE_FLAG,
  JSON_FLAG,
  M_FLAG,
  MAX_SHARD_SIZE_FLAG,
  N_FLAG,
  outputFlag,
  QUIET_FLAG,
  resolveSelection,
  TRANSPOSABLE_FLAG,
} from '../sharedFlags.js';

const INPUTS_FLAG = pathFlag({ name: 'inputs', placeholder: 'X.npy', inputs: ['npy'], help: 'calibration inputs of the layer (layout: --inputs-layout)' });
const HESSIAN_FLAG = pathFlag({ name: 'hessian', placeholder: 'H.npy', inputs: ['npy'], help: 'the layer Hessian XᵀX (in × in), instead of --inputs' });
const LAYOUT_FLAG = choiceFlag<InputLayout>({
  name: 'inputs-layout',
  choices: { 'samples-by-features': 'samples-by-features', 'features-by-samples': 'features-by-samples' },
  default: 'samples-by-features',
  needs: { name: 'inputs' },
  inputs: ['npy'],
  help: 'samples × in (what PyTorch activations are) or in × samples',
});
const HESSIANS_FLAG = pathFlag({
  name: 'hessians',
  placeholder: 'H.safetensors',
  inputs: ['safetensors'],
  help: "one Hessian XᵀX (in × in, F32 or F64) per weight, stored under the weight's own name (a safetensors file or a sharded index)",
});
const WITHOUT_HESSIAN_FLAG = choiceFlag<WithoutHessian>({
  name: 'without-hessian',
  choices: { skip: 'skip', magnitude: 'magnitude' },
  default: 'skip',
  inputs: ['safetensors'],
  help: 'an eligible weight without a Hessian: skip it (reported, copied unchanged) or prune it by magnitude (kept weights unchanged)',
});
const OUTPUT_FLAG = outputFlag(
  'PRUNED',
  'the pruned weights: an f32 .npy for a .npy layer, the whole checkpoint (each tensor in its own dtype) for a checkpoint (a sharded set when the name ends in .safetensors.index.json)',
);
const MASK_OUT_FLAG = pathFlag({ name: 'mask-out', placeholder: 'MASK.npy', inputs: ['npy'], help: 'also write the mask (u8 .npy)' });
const MASKS_OUT_FLAG = pathFlag({ name: 'masks-out', placeholder: 'MASKS.safetensors', inputs: ['safetensors'], help: 'also write the masks (one U8 tensor per pruned weight, same name and shape; a sharded set when the name ends in .safetensors.index.json)' });
const LAYER_FLAGS = { inputs: INPUTS_FLAG, hessian: HESSIAN_FLAG, output: OUTPUT_FLAG, maskOut: MASK_OUT_FLAG };

/** The checkpoint form's files: --hessians is required there, and the outputs are distinct safetensors names. */
async function checkpointFiles(args: ParsedArgs) {
  const output = args.require(OUTPUT_FLAG);
  const masksOut = args.get(MASKS_OUT_FLAG);
  const hessians = args.get(HESSIANS_FLAG);
  if (hessians === undefined) {
    throw optionError("a checkpoint needs --hessians H.safetensors: one Hessian XᵀX per weight, under the weight's name (docs/pruning.md, \"Whole checkpoints\")");
  }
  if ((await inputKindOf(hessians)) !== 'safetensors') throw optionError('--hessians takes a safetensors file or a sharded index of Hessians; a .npy Hessian goes with a .npy layer (--hessian)');
  if (masksOut !== undefined && resolve(masksOut) === resolve(output)) throw optionError('--masks-out and -o name the same file; the pruned weights and the masks need two files');
  checkOutputName(output, 'safetensors', '-o');
  if (masksOut !== undefined) checkOutputName(masksOut, 'safetensors', '--masks-out');
  const shardedInput = (await detectFormat(args.operands[0] as string)) === 'safetensors-index';
  checkMaxShardSize(args, [{ path: output, label: '-o' }, { path: masksOut, label: '--masks-out' }], shardedInput);
  return { output, masksOut, hessians };
}

async function pruneCheckpoint(args: ParsedArgs, s: PruneSettings, out: CliOutput): Promise<number> {
  const input = args.operands[0] as string;
  const { output, masksOut, hessians } = await checkpointFiles(args);
  const json = args.get(JSON_FLAG);
  const run = {
    input,
    hessians,
    output,
    masksOut,
    maxShardSize: args.get(MAX_SHARD_SIZE_FLAG),
    selection: resolveSelection(args, s),
    withoutHessian: args.get(WITHOUT_HESSIAN_FLAG),
    force: args.get(FORCE_FLAG),
    json,
    stderr: out.stderr,
    progress: progressFor(out.stderr, args.get(QUIET_FLAG) || json),
  };
  // The outputs' files are known from the headers: all are checked before any tensor is read, and
  // committed together (pruneCheckpoint.ts, src/io/outputSet.ts).
  const { pruneCheckpointFile } = await import('../pruneCheckpoint.js');
  return withInterrupt((signal) => pruneCheckpointFile(s, { ...run, signal }, out), out.stderr);
}

async function pruneLayerFile(args: ParsedArgs, s: PruneSettings, out: CliOutput): Promise<number> {
  const files = await layerFiles(args, LAYER_FLAGS, 'prune', '');
  const { pruneMatrixFile } = await import('../pruneMatrix.js');
  const run = (signal: AbortSignal) =>
    withOutputs(files.outputs, { force: args.get(FORCE_FLAG), inputs: files.inputs, signal, stderr: out.stderr }, (written) =>
      pruneMatrixFile(s, { files, layout: args.get(LAYOUT_FLAG), written, json: args.get(JSON_FLAG), signal }, out),
    );
  return withInterrupt(run, out.stderr);
}

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'prune a layer W.npy, or every weight of a checkpoint with its Hessian, to any N:M pattern (SparseGPT, ALPS, Wanda, magnitude, prox)',
  usage: [
    'W.npy (--inputs X.npy | --hessian H.npy) --n N --m M [--transposable] -o PRUNED.npy [--mask-out MASK.npy] [options]',
    'MODEL.safetensors --hessians H.safetensors --n N --m M [--transposable] -o PRUNED.safetensors [--masks-out MASKS.safetensors] [options]',
    'MODEL.safetensors --hessians H.safetensors --n N --m M -o PRUNED.safetensors.index.json [--masks-out MASKS.safetensors.index.json] [--max-shard-size SIZE] [options]',
  ],
  operands: ['IN'],
  inputs: ['npy', 'safetensors'],
  flags: [
    INPUTS_FLAG,
    LAYOUT_FLAG,
    HESSIAN_FLAG,
    HESSIANS_FLAG,
    N_FLAG,
    M_FLAG,
    TRANSPOSABLE_FLAG,
    FILL_FLAG,
    METHOD_FLAG,
    MASK_SOLVER_FLAG,
    UPDATE_FLAG,
    DAMP_FLAG,
    WITHOUT_HESSIAN_FLAG,
    INCLUDE_FLAG,
    EXCLUDE_FLAG,
    CONV_FLAG,
    OUTPUT_FLAG,
    MASK_OUT_FLAG,
    MASKS_OUT_FLAG,
    MAX_SHARD_SIZE_FLAG,
    BACKEND_FLAG,
    FORCE_FLAG,
    JSON_FLAG,
    QUIET_FLAG,
  ],
  notes: [
    'The relative loss is ‖(W − Ŵ)Xᵀ‖² / ‖WXᵀ‖² = tr((W − Ŵ)H(W − Ŵ)ᵀ) / tr(WHWᵀ), the local reconstruction error of the layer (docs/pruning.md).',
    'For magnitude and wanda the certified gap of the mask for the scores it maximises (|W|, |W|·‖x‖) is printed too; the other methods maximise no fixed score matrix.',
    "A checkpoint is pruned one tensor at a time: every 2-D float weight whose shape fits the pattern (4-D with --conv) and that has a Hessian in H (the tensor of the same name, in × in) is pruned and stored in its own dtype; every other tensor is copied byte for byte and listed as skipped with the reason. The input kind comes from the file's first bytes.",
    'MODEL and H may be indexes of sharded checkpoints (model.safetensors.index.json). An -o or --masks-out name ending in .safetensors.index.json writes a sharded set: the shard files next to it (NAME-00001-of-0000K.safetensors) and the index, all files of both outputs committed together. A sharded MODEL is mirrored (the tensors of input shard j go to output shard j); a single-file MODEL is split by --max-shard-size.',
    '`nmsparse prune24` is the 2:4 command of 0.1.0 (inputs in × samples).',
  ],
  examples: [
    'nmsparse prune W.npy --inputs X.npy --n 2 --m 4 --method sparsegpt -o P.npy',
    'nmsparse prune W.npy --hessian H.npy --n 8 --m 16 --transposable --method alps -o P.npy --mask-out M.npy --json',
    'nmsparse prune model.safetensors --hessians hessians.safetensors --n 2 --m 4 --exclude lm_head -o pruned.safetensors --masks-out masks.safetensors',
    'nmsparse prune model.safetensors.index.json --hessians hessians.safetensors --n 2 --m 4 -o pruned.safetensors.index.json --masks-out masks.safetensors.index.json',
  ],
  async run(args, out) {
    const kind = await inputKindOf(args.operands[0] as string);
    args.checkInputKind(kind);
    const settings = resolvePruneSettings(args);
    return kind === 'npy' ? pruneLayerFile(args, settings, out) : pruneCheckpoint(args, settings, out);
  },
};
