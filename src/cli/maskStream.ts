/**
 * The one loop that writes the outputs of a checkpoint mask run, shared by `mask` (masks solved here)
 * and `merge` (masks read from partial results), so both write the same bytes in the same order.
 * Tensors are visited in the model's file order (or, without a model, in the targets' order); each
 * target's mask goes to the masks output, and with --apply the pruned checkpoint gets every tensor:
 * a target with every dropped element zeroed in its own dtype, any other tensor copied byte for byte.
 * Each target is read (and prepared: decoded, or its mask read from a part) while the one before it
 * is solved (prefetch.ts), so memory is bounded by two tensors.
 */
import { throwIfAborted } from '../core/errors.js';
import type { TensorInfo, TensorStore } from '../io/index.js';
import type { SafetensorsOutput } from '../io/safetensorsOutput.js';
import { pauseForTests } from './interrupt.js';
import { Prefetcher } from './prefetch.js';

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

export interface MaskStream<P> {
  /** The checkpoint the masks belong to; required with `pruned`, and when `prepare` needs the weights. */
  model?: TensorStore;
  /** The tensors that get a mask, in output order (the model's file order). */
  targets: readonly string[];
  /** Reads what a target's mask needs, one target ahead; `raw` is its stored bytes when there is a model. */
  prepare: (name: string, raw: Uint8Array | undefined) => Promise<P>;
  /**
   * A target's mask from what `prepare` read. The mask is written (and the pruned weights made from it)
   * before the next call, so that call may reuse the array.
   */
  maskOf: (name: string, prepared: P) => Promise<Uint8Array>;
  masks: SafetensorsOutput;
  pruned?: SafetensorsOutput;
  signal: AbortSignal;
}

export async function streamMaskOutputs<P>(run: MaskStream<P>): Promise<void> {
  const { model, masks, pruned } = run;
  const isTarget = new Set(run.targets);
  const tensors = model ? model.tensors.map((info) => ({ name: info.name, info })) : run.targets.map((name) => ({ name, info: undefined }));
  const read = (info: TensorInfo | undefined) => (info ? (model as TensorStore).readBytes(info) : Promise.resolve(undefined));
  // The next target is read while the current one is solved; its stored bytes are kept only for --apply.
  const inputs = new Prefetcher(
    tensors.filter((t) => isTarget.has(t.name)),
    async (t) => {
      const raw = await read(t.info);
      return { raw: pruned ? raw : undefined, prepared: await run.prepare(t.name, raw) };
    },
  );
  let done = 0;
  for (const t of tensors) {
    throwIfAborted(run.signal);
    if (!isTarget.has(t.name)) {
      const raw = pruned ? await read(t.info) : undefined;
      if (pruned && raw) await pruned.write(t.name, raw);
      continue;
    }
    const { raw, prepared } = await inputs.take();
    const mask = await run.maskOf(t.name, prepared);
    await masks.write(t.name, mask);
    if (pruned && raw) await pruned.write(t.name, zeroPruned(raw, mask));
    await pauseForTests(`tensor-${++done}`, run.signal);
  }
  await masks.commit();
  await pruned?.commit();
}
