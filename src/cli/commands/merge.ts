// `nmsparse merge`: joins the partial results of `mask --shard i/k` into the output one run writes.
import type { Command, OutputStream } from '../command.js';
import { displayText } from '../../core/text.js';
import { NmsparseError } from '../../core/errors.js';
import { openCheckpoint, type TensorInfo, type TensorStore } from '../../io/index.js';
import { outputSpecs, SafetensorsOutput, type SafetensorsOutputPlan } from '../../io/safetensorsOutput.js';
import { optionError, pathFlag } from '../flags.js';
import { checkOutputName } from '../inputKind.js';
import { withInterrupt, withOutputs } from '../interrupt.js';
import { placedTensors, planOutput, type PlacedEntry } from '../maskLayout.js';
import { streamMaskOutputs } from '../maskStream.js';
import { checkParts, closeParts, openParts, type CheckedParts, type OpenPart } from '../mergeParts.js';
import { inputFingerprint } from '../partial.js';
import { checkMaxShardSize, FORCE_FLAG, JSON_FLAG, MAX_SHARD_SIZE_FLAG, mirroredShardsError, outputFlag } from '../sharedFlags.js';

const OUTPUT_FLAG = outputFlag('OUT', 'the merged masks: a .safetensors file, or a sharded set when the name ends in .safetensors.index.json');
const APPLY_FLAG = pathFlag({ name: 'apply', placeholder: 'PRUNED', needs: { name: 'model' }, help: 'also write the pruned checkpoint, as mask --apply would' });
const MODEL_FLAG = pathFlag({ name: 'model', placeholder: 'MODEL', needs: { name: 'apply' }, help: 'the checkpoint the parts were computed from (its headers must match theirs), for --apply' });

/** A mask as stored must hold only 0 and 1: a damaged part is refused, never merged. */
function checkedMask(bytes: Uint8Array, part: string, tensor: string): Uint8Array {
  const bad = bytes.findIndex((b) => b > 1);
  if (bad >= 0) throw new NmsparseError('E_MASK', `${displayText(part, 120)}: mask ${JSON.stringify(displayText(tensor, 80))} holds ${bytes[bad]} at element ${bad}; masks hold 0 and 1 only`);
  return bytes;
}

async function openModel(path: string, parts: CheckedParts): Promise<TensorStore> {
  const model = await openCheckpoint(path);
  if (inputFingerprint(model) !== parts.run.fingerprint) {
    await model.close();
    throw optionError(`--model ${displayText(path, 120)} is not the checkpoint the parts were computed from (its headers differ)`);
  }
  return model;
}

interface MergeRun {
  paths: readonly string[];
  output: string;
  apply: string | undefined;
  /** --model, read for --apply. */
  modelPath: string | undefined;
  maxShardSize: number;
  /** --max-shard-size was given (it does nothing for a sharded input). */
  sizeGiven: boolean;
  force: boolean;
}

/** Lays out the outputs as the single run would, declares them, and streams the masks (and the pruned model). */
async function writeMerged(checked: CheckedParts, model: TensorStore | undefined, run: MergeRun, signal: AbortSignal, stderr: OutputStream): Promise<SafetensorsOutputPlan> {
  const { source } = checked.run;
  if (run.sizeGiven && source.sharded) throw mirroredShardsError();
  const holder = (name: string) => checked.holders.get(name) as { part: OpenPart; info: TensorInfo };
  const masks: PlacedEntry[] = checked.run.targets.map(([name, group]) => {
    const { info } = holder(name);
    return { entry: { name, dtype: info.dtype, shape: info.shape }, group };
  });
  const masksPlan = planOutput(run.output, masks, source, run.maxShardSize);
  const prunedPlan = run.apply === undefined || !model ? undefined : planOutput(run.apply, placedTensors(model), source, run.maxShardSize);
  const specs = [...outputSpecs(masksPlan, '-o'), ...(prunedPlan ? outputSpecs(prunedPlan, '--apply') : [])];
  const inputs = [...run.paths, ...(run.modelPath === undefined ? [] : [run.modelPath]), ...(model?.files ?? [])];
  await withOutputs(specs, { force: run.force, inputs, signal, stderr }, async (files) => {
    await streamMaskOutputs({
      ...(model ? { model } : {}),
      targets: masks.map((p) => p.entry.name),
      prepare: async (name) => {
        const { part, info } = holder(name);
        return checkedMask(await part.reader.readBytes(info), part.path, name);
      },
      maskOf: async (_name, mask) => mask,
      masks: await SafetensorsOutput.open(files, masksPlan),
      ...(prunedPlan ? { pruned: await SafetensorsOutput.open(files, prunedPlan) } : {}),
      signal,
    });
  });
  return masksPlan;
}

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'join the partial results of mask --shard i/k into the output of a single run',
  usage: ['PART... -o MASKS.safetensors[.index.json] [--apply PRUNED.safetensors[.index.json] --model MODEL] [--max-shard-size SIZE] [--force] [--json]'],
  operands: ['PART'],
  variadic: true,
  inputs: ['safetensors'],
  flags: [OUTPUT_FLAG, APPLY_FLAG, MODEL_FLAG, MAX_SHARD_SIZE_FLAG, FORCE_FLAG, JSON_FLAG],
  notes: [
    'PART... are the K files written by nmsparse mask --shard 1/K … K/K, in any order. They must be of one run: the same settings, the same input (compared by a fingerprint of its headers), every shard once. The output is byte for byte what nmsparse mask without --shard writes to the same -o (and --apply) with the same settings and --max-shard-size. --apply reads MODEL once and writes the pruned checkpoint.',
  ],
  examples: [
    'nmsparse merge part-1.safetensors part-2.safetensors part-3.safetensors -o masks.safetensors',
    'nmsparse merge part-*.safetensors -o masks.safetensors.index.json --apply pruned.safetensors.index.json --model model.safetensors.index.json',
  ],
  async run(args, out) {
    const paths = args.operands;
    const output = args.require(OUTPUT_FLAG);
    const apply = args.get(APPLY_FLAG);
    const modelPath = args.get(MODEL_FLAG);
    const maxShardSize = args.get(MAX_SHARD_SIZE_FLAG);
    const json = args.get(JSON_FLAG);
    checkOutputName(output, 'safetensors', '-o');
    if (apply !== undefined) checkOutputName(apply, 'safetensors', '--apply');
    checkMaxShardSize(args, [{ path: output, label: '-o' }, { path: apply, label: '--apply' }], false); // a sharded model is known later
    const run = { paths, output, apply, modelPath, maxShardSize, sizeGiven: args.has(MAX_SHARD_SIZE_FLAG), force: args.get(FORCE_FLAG) };
    return withInterrupt(async (signal) => {
      const parts = await openParts(paths);
      let model: TensorStore | undefined;
      try {
        const checked = checkParts(parts);
        model = modelPath === undefined ? undefined : await openModel(modelPath, checked);
        const written = await writeMerged(checked, model, run, signal, out.stderr);
        const report = { output, ...(apply ? { pruned: apply } : {}), parts: checked.count, tensors: checked.run.targets.length, files: written.files.length };
        if (json) out.print(JSON.stringify(report));
        else {
          const sharded = written.index ? ` in ${written.files.length} shard file(s)` : '';
          out.print(`merged ${checked.count} partial result(s): ${report.tensors} mask(s) → ${displayText(output)}${sharded}${apply ? `, pruned weights → ${displayText(apply)}` : ''}`);
        }
        return 0;
      } finally {
        await closeParts(parts);
        await model?.close();
      }
    }, out.stderr);
  },
};
