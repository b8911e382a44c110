/**
 * The one loop that writes the outputs of a checkpoint mask run, shared by `mask` (masks solved here)
 * and `merge` (masks read from partial results), so both write the same bytes in the same order.
 * Tensors are visited in the model's file order (or, without a model, in the targets' order); each
 * target's mask goes to the masks output, and with --apply the pruned checkpoint gets every tensor:
 * a target with every dropped element zeroed in its own dtype, any other tensor copied byte for byte.
 * Memory is bounded by the largest tensor.
 */
import { throwIfAborted } from '../core/errors.js';
import type { TensorStore } from '../io/index.js';
import type { SafetensorsOutput } from '../io/safetensorsOutput.js';
import { pauseForTests } from './interrupt.js';

/** Zeroes the stored bytes of every element the mask drops (+0 in every float dtype). */
export function zeroPruned(raw: Uint8Array, mask: Uint8Array): Uint8Array {
  const itemSize = raw.length / mask.length;
  const bytes = raw.byteOffset % 4 === 0 ? raw : new Uint8Array(raw); // word views need alignment
  const wordSize = Math.min(itemSize, 4);
  const perItem = itemSize / wordSize;
  const words =
    wordSize === 1
      ? bytes
      : wordSize === 2
        ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)
        : new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) for (let w = 0; w < perItem; w++) words[i * perItem + w] = 0;
  }
  return bytes;
}

export interface MaskStream {
  /** The checkpoint the masks belong to; required with `pruned`, and when `maskOf` needs the weights. */
  model?: TensorStore;
  /** The tensors that get a mask, in output order (the model's file order). */
  targets: readonly string[];
  /** A target's mask; `raw` is its stored bytes when there is a model. */
  maskOf: (name: string, raw: Uint8Array | undefined) => Promise<Uint8Array>;
  masks: SafetensorsOutput;
  pruned?: SafetensorsOutput;
  signal: AbortSignal;
}

export async function streamMaskOutputs(run: MaskStream): Promise<void> {
  const { model, masks, pruned } = run;
  const isTarget = new Set(run.targets);
  const tensors = model ? model.tensors.map((info) => ({ name: info.name, info })) : run.targets.map((name) => ({ name, info: undefined }));
  let done = 0;
  for (const t of tensors) {
    throwIfAborted(run.signal);
    const raw = t.info && (isTarget.has(t.name) || pruned) ? await (model as TensorStore).readBytes(t.info) : undefined;
    if (!isTarget.has(t.name)) {
      if (pruned && raw) await pruned.write(t.name, raw);
      continue;
    }
    const mask = await run.maskOf(t.name, raw);
    await masks.write(t.name, mask);
    if (pruned && raw) await pruned.write(t.name, zeroPruned(raw, mask));
    await pauseForTests(`tensor-${++done}`, run.signal);
  }
  await masks.commit();
  await pruned?.commit();
}
