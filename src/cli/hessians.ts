/**
 * The Hessians of a checkpoint prune (docs/pruning.md, "Whole checkpoints"). The naming rule: the
 * Hessian of weight tensor `NAME` (out × in) is the tensor `NAME` of the Hessians file (one safetensors
 * file or a sharded index), H = XᵀX (in × in) of the inputs X (tokens × in) that reach that weight,
 * summed or averaged over the tokens: every method is invariant to a positive factor on H.
 *
 * Checked from the headers before any tensor is pruned: the dtype is F32 or F64 (E_DTYPE) and the shape
 * is in × in with in the weight's columns (E_SHAPE). The values are checked by pruneLayer when read:
 * finite (E_NONFINITE) and a non-negative diagonal (E_SHAPE); a damped H that is still not positive
 * definite is E_SINGULAR from SparseGPT and ALPS.
 */
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';
import type { TensorInfo, TensorStore } from '../io/index.js';
import type { Matrix } from '../index.js';

/** F16 overflows above 65504 and BF16 keeps 8 significant bits: too little for XᵀX and its factorisation. */
const HESSIAN_DTYPES: ReadonlySet<string> = new Set(['F32', 'F64']);

/** The convention most hook scripts get wrong: the module's name instead of its weight's. */
const WEIGHT_SUFFIX = '.weight';

export interface HessianMatch {
  /** Weight name → its Hessian. */
  found: Map<string, TensorInfo>;
  /** Names of Hessians that name no tensor of the model, in file order. */
  unused: string[];
}

const quote = (name: string) => JSON.stringify(displayText(name, 80));

/** ' (Hessians are stored under the weight's name: "x.weight")' when that is what `name` misses. */
export function namingHint(model: TensorStore, name: string): string {
  const weight = `${name}${WEIGHT_SUFFIX}`;
  return model.tensors.some((t) => t.name === weight) ? ` (Hessians are stored under the weight's name: ${quote(weight)})` : '';
}

/**
 * The Hessian of every target that has one, checked against the target's shape, and the Hessians that
 * belong to no tensor of the model.
 */
export function matchHessians(model: TensorStore, hessians: TensorStore, targets: ReadonlyMap<string, { rows: number; cols: number }>): HessianMatch {
  const names = new Set(model.tensors.map((t) => t.name));
  const found = new Map<string, TensorInfo>();
  const unused: string[] = [];
  for (const h of hessians.tensors) {
    if (!names.has(h.name)) {
      unused.push(h.name);
      continue;
    }
    const target = targets.get(h.name);
    if (!target) continue;
    const where = `Hessian ${quote(h.name)} in ${displayText(hessians.name, 120)}`;
    if (!HESSIAN_DTYPES.has(h.dtype)) {
      throw new NmsparseError(
        'E_DTYPE',
        `${where} is ${h.dtype}; Hessians must be F32 or F64 (accumulate XᵀX in float64 and save it as float32 or float64)`,
      );
    }
    const n = target.cols;
    if (h.shape.length !== 2 || h.shape[0] !== n || h.shape[1] !== n) {
      throw new NmsparseError(
        'E_SHAPE',
        `${where} has shape [${h.shape.join(', ')}], but the weight is ${target.rows}×${n} (out × in), so its Hessian XᵀX must be ${n}×${n} (in × in)`,
      );
    }
    found.set(h.name, h);
  }
  return { found, unused };
}

/** A Hessian's values as an f32 matrix (F64 rounds to nearest, as the .npy path reads it). */
export async function readHessian(hessians: TensorStore, info: TensorInfo): Promise<Matrix> {
  const [n] = info.shape as [number, number];
  return { rows: n, cols: n, data: await hessians.readFloats(info) };
}
