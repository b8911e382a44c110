import { resolve } from 'node:path';
// `nmsparse mask`: N:M masks of a .npy matrix or of every eligible tensor of a safetensors checkpoint.
import type { Command } from '../command.js';
import { booleanFlag, choiceFlag, optionError, pathFlag } from '../flags.js';
import { detectFormat } from '../../io/index.js';
import { isIndexPath } from '../../io/safetensorsOutput.js';
import { checkOutputName, inputKindOf } from '../inputKind.js';
import { withInterrupt, withOutputs } from '../interrupt.js';
import type { ParsedArgs } from '../parse.js';
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
  METHOD_FLAG,
  N_FLAG,
  outputFlag,
  QUIET_FLAG,
  resolvePattern,
  resolveSelection,
  resolveTsenor,
  SCORE_FLAG,
  SHARD_FLAG,
  TRANSPOSABLE_FLAG,
  TSENOR_FLAGS,
} from '../sharedFlags.js';
import type { MaskSettings } from '../solveMask.js';

const OUTPUT_FLAG = outputFlag('OUT', 'where the mask(s) go: a u8 .npy for a .npy input, a safetensors file of masks for a checkpoint (a sharded set when the name ends in .safetensors.index.json)');
const CERTIFY_FLAG = booleanFlag({ name: 'certify', help: 'also certify tsenor and greedy masks (one exact solve more); exact and standard masks always are' });
const MASK_DTYPE_FLAG = choiceFlag<'U8' | 'BOOL'>({ name: 'mask-dtype', choices: { u8: 'U8', bool: 'BOOL' }, default: 'U8', inputs: ['safetensors'], help: 'dtype of the stored masks' });
const APPLY_FLAG = pathFlag({ name: 'apply', placeholder: 'PRUNED', inputs: ['safetensors'], help: 'also write the checkpoint with every dropped weight set to 0 (same dtypes)' });

function maskSettings(args: ParsedArgs): MaskSettings {
  return {
    ...resolvePattern(args),
    method: args.get(METHOD_FLAG),
    fill: args.get(FILL_FLAG),
    score: args.get(SCORE_FLAG),
    backend: args.get(BACKEND_FLAG),
    tsenor: resolveTsenor(args),
    certify: args.get(CERTIFY_FLAG),
  };
}

export const maskCommand: Command = {
  name: 'mask',
  summary: 'compute N:M masks of a .npy matrix or a safetensors checkpoint, with their certified gap',
  usage: [
    'IN.npy --n N --m M [options] -o OUT.npy',
    'MODEL.safetensors --n N --m M [options] -o MASKS.safetensors [--apply PRUNED.safetensors]',
    'MODEL.safetensors --n N --m M [options] -o MASKS.safetensors.index.json [--apply PRUNED.safetensors.index.json] [--max-shard-size SIZE]',
    'MODEL.safetensors --n N --m M [options] --shard I/K -o PART-I.safetensors',
  ],
  operands: ['IN'],
  inputs: ['npy', 'safetensors'],
  flags: [
    N_FLAG,
    M_FLAG,
    TRANSPOSABLE_FLAG,
    METHOD_FLAG,
    FILL_FLAG,
    SCORE_FLAG,
    BACKEND_FLAG,
    ...Object.values(TSENOR_FLAGS),
    CERTIFY_FLAG,
    INCLUDE_FLAG,
    EXCLUDE_FLAG,
    CONV_FLAG,
    MASK_DTYPE_FLAG,
    OUTPUT_FLAG,
    APPLY_FLAG,
    MAX_SHARD_SIZE_FLAG,
    SHARD_FLAG,
    FORCE_FLAG,
    JSON_FLAG,
    QUIET_FLAG,
  ],
  notes: [
    'The input kind comes from the file\'s first bytes, not its name. A .npy input gives a u8 .npy mask; a checkpoint gives a safetensors file with one mask per eligible tensor (2-D float tensors whose shape fits the pattern; 4-D with --conv) and lists the tensors it skipped, with the reason. An output name ending in the other format\'s extension is refused.',
    'MODEL may be the index of a sharded checkpoint (model.safetensors.index.json). An -o or --apply name ending in .safetensors.index.json writes a sharded set: the shard files next to it (NAME-00001-of-0000K.safetensors) and the index, all committed together. A sharded input is mirrored (the masks of input shard j go to output shard j); a single-file input is split by --max-shard-size.',
    '--shard I/K masks only the tensors that shard I of K gets (largest first, each to the least loaded shard; the same on every machine) and writes a partial result; `nmsparse merge` joins the K partial results into the output a single run writes, and can write the pruned checkpoint (docs/scale.md).',
  ],
  examples: [
    'nmsparse mask W.npy --n 2 --m 4 -o mask.npy',
    'nmsparse mask W.npy --n 8 --m 16 --transposable --method tsenor --certify -o mask.npy',
    'nmsparse mask model.safetensors --n 2 --m 4 --transposable --exclude lm_head -o masks.safetensors --apply pruned.safetensors',
    'nmsparse mask model.safetensors.index.json --n 2 --m 4 -o masks.safetensors.index.json --apply pruned.safetensors.index.json',
    'nmsparse mask model.safetensors.index.json --n 8 --m 16 --transposable --shard 2/3 -o part-2.safetensors',
  ],
  async run(args, out) {
    const settings = maskSettings(args);
    const input = args.operands[0] as string;
    const output = args.require(OUTPUT_FLAG);
    const apply = args.get(APPLY_FLAG);
    const force = args.get(FORCE_FLAG);
    const json = args.get(JSON_FLAG);
    const selection = resolveSelection(args, settings);
    if (apply !== undefined && resolve(apply) === resolve(output)) throw optionError('--apply and -o name the same file; the masks and the pruned weights need two files');
    // The solvers load only now (commands/index.ts), and the wasm kernels start while the input is read.
    const [{ warmUpFor }, { maskCheckpointFile }, { maskMatrixFile }] = await Promise.all([
      import('../solveMask.js'),
      import('../maskCheckpoint.js'),
      import('../maskMatrix.js'),
    ]);
    warmUpFor(settings);
    const kind = await inputKindOf(input);
    args.checkInputKind(kind);
    checkOutputName(output, kind, '-o');
    if (apply !== undefined) checkOutputName(apply, kind, '--apply');
    const shard = args.get(SHARD_FLAG);
    const shardedInput = kind === 'safetensors' && (await detectFormat(input)) === 'safetensors-index';
    checkShardedOutputs(args, { output, apply, shard, shardedInput });

    const progress = progressFor(out.stderr, args.get(QUIET_FLAG) || json);
    // Every output is checked before any work, and all are committed together (src/io/outputSet.ts).
    return withInterrupt((signal) => {
      if (kind === 'safetensors') {
        const maskDtype = args.get(MASK_DTYPE_FLAG);
        const maxShardSize = args.get(MAX_SHARD_SIZE_FLAG);
        const run = { input, output, selection, maskDtype, maxShardSize, force, json, signal, stderr: out.stderr, progress };
        return maskCheckpointFile(settings, { ...run, ...(apply === undefined ? {} : { apply }), ...(shard === undefined ? {} : { shard }) }, out);
      }
      return withOutputs([{ path: output, label: '-o' }], { force, inputs: [input], signal, stderr: out.stderr }, (files) =>
        maskMatrixFile(settings, { input, output, files, json, signal, progress }, out),
      );
    }, out.stderr);
  },
};

/** --shard writes one partial file (merge writes the rest); --max-shard-size splits an index output only. */
function checkShardedOutputs(args: ParsedArgs, o: { output: string; apply: string | undefined; shard: unknown; shardedInput: boolean }): void {
  if (o.shard !== undefined) {
    if (o.apply !== undefined) throw optionError('--apply does not go with --shard: give it to nmsparse merge (--apply PRUNED --model MODEL)');
    if (isIndexPath(o.output)) throw optionError('--shard writes one partial file: give -o a .safetensors name (nmsparse merge writes the index)');
    if (args.has(MAX_SHARD_SIZE_FLAG)) throw optionError('--max-shard-size does not go with --shard: give it to nmsparse merge');
  }
  checkMaxShardSize(args, [{ path: o.output, label: '-o' }, { path: o.apply, label: '--apply' }], o.shardedInput);
}
