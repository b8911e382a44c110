/**
 * Which weight tensor each mask tensor belongs to, under the names tools give masks:
 *  - nmsparse: a masks file whose tensors have their weights' names;
 *  - PyTorch torch.nn.utils.prune: `<module>.weight_mask`, with the dense weights in `<module>.weight_orig`
 *    (or `<module>.weight` once the parametrisation is gone);
 *  - NVIDIA apex ASP: `<module>.__weight_mma_mask`, with the weights in `<module>.weight`;
 *  - a --mask-name template: the mask of weight W is the template with `{}` replaced by W.
 * When the masks sit in the model file itself, only tensors named by a convention (or the template)
 * are masks; in a separate masks file a tensor without a convention name is the mask of its namesake.
 */
import { optionError, type Flag } from './flags.js';

export interface MaskPair {
  mask: string;
  weight: string;
}

/** Mask-name suffixes of other tools, with the weight names they go with (first found wins). */
const CONVENTIONS: ReadonlyArray<{ suffix: string; weights: readonly string[] }> = [
  { suffix: '.weight_mask', weights: ['.weight_orig', '.weight'] }, // torch.nn.utils.prune
  { suffix: '.__weight_mma_mask', weights: ['.weight'] }, // apex ASP
];

export const MASK_NAME_FLAG: Flag<string> = {
  name: 'mask-name',
  kind: 'string',
  placeholder: 'TEMPLATE',
  accepts: 'a tensor name with one {} for the weight name',
  help: "how masks are named: the mask of weight W is TEMPLATE with {} replaced by W (e.g. '{}_mask'); default: the weight's own name, or torch prune's and apex ASP's names",
  inputs: ['safetensors'],
  parse(text) {
    if (text.split('{}').length !== 2) throw optionError(`--mask-name must contain {} exactly once (it stands for the weight's name), got '${text.slice(0, 40)}'`);
    return text;
  },
};

function weightByConvention(mask: string, weights: ReadonlySet<string>): string | undefined {
  for (const c of CONVENTIONS) {
    if (!mask.endsWith(c.suffix)) continue;
    const module = mask.slice(0, -c.suffix.length);
    return c.weights.map((w) => module + w).find((w) => weights.has(w));
  }
  return undefined;
}

function weightByTemplate(mask: string, template: string): string | undefined {
  const [before, after] = template.split('{}') as [string, string];
  const fits = mask.length > before.length + after.length && mask.startsWith(before) && mask.endsWith(after);
  return fits ? mask.slice(before.length, mask.length - after.length) : undefined;
}

/** Pairs the tensors of the masks file with weights of the model (see the file header). */
export function pairMasks(maskNames: readonly string[], weights: ReadonlySet<string>, options: { sameFile: boolean; template?: string }): MaskPair[] {
  const pairs: MaskPair[] = [];
  for (const mask of maskNames) {
    const weight = options.template !== undefined ? weightByTemplate(mask, options.template) : weightByConvention(mask, weights);
    if (weight !== undefined && weight !== mask) pairs.push({ mask, weight });
    else if (!options.sameFile && options.template === undefined) pairs.push({ mask, weight: mask });
  }
  return pairs;
}
