// `nmsparse verify`: check masks (validity, objective, certified gap) without trusting any solver.
import type { Command } from '../command.js';
import { booleanFlag, optionError, pathFlag } from '../flags.js';
import { withInterrupt } from '../interrupt.js';
import { progressFor } from '../progress.js';
import {
  BACKEND_FLAG,
  CONV_FLAG,
  EXCLUDE_FLAG,
  FILL_FLAG,
  INCLUDE_FLAG,
  JSON_FLAG,
  M_FLAG,
  N_FLAG,
  QUIET_FLAG,
  resolvePattern,
  resolveSelection,
  SCORE_FLAG,
  TRANSPOSABLE_FLAG,
} from '../sharedFlags.js';
import { MASK_NAME_FLAG } from '../maskNames.js';
import type { VerifySettings } from '../verifyMatrix.js';
import { inputKindOf } from '../inputKind.js';

const ALLOW_MISSING_FLAG = booleanFlag({
  name: 'allow-missing',
  inputs: ['safetensors'],
  help: 'do not fail when a tensor the pattern applies to has no mask, or MASKS holds none',
});

const PRUNED_FLAG = pathFlag({
  name: 'pruned',
  placeholder: 'PRUNED.safetensors',
  help: "check a pruned checkpoint alone: each tensor's mask is read from its nonzeros (then no SCORES and MASKS)",
});
const DENSE_FLAG = pathFlag({
  name: 'dense',
  placeholder: 'DENSE.safetensors',
  needs: { name: 'pruned' },
  help: "the dense checkpoint: certify the pruned masks' gap against the optimum for its scores",
});

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check masks against the N:M rule and bound their gap to the optimum (exit 1 if invalid or missing)',
  usage: [
    'SCORES.npy MASK.npy --n N --m M [options]',
    'MODEL.safetensors MASKS.safetensors --n N --m M [options]',
    '--pruned PRUNED.safetensors [--dense DENSE.safetensors] --n N --m M [options]',
  ],
  operands: ['SCORES', 'MASKS'],
  alternativeOperands: [],
  inputs: ['npy', 'safetensors'],
  flags: [N_FLAG, M_FLAG, TRANSPOSABLE_FLAG, FILL_FLAG, SCORE_FLAG, BACKEND_FLAG, INCLUDE_FLAG, EXCLUDE_FLAG, CONV_FLAG, ALLOW_MISSING_FLAG, MASK_NAME_FLAG, PRUNED_FLAG, DENSE_FLAG, JSON_FLAG, QUIET_FLAG],
  notes: [
    'Both files must be of the same kind (from their first bytes). For a checkpoint, every mask in MASKS is checked against its weight: the tensor of the same name, or for masks named by torch.nn.utils.prune (M.weight_mask: M.weight_orig, else M.weight) or apex ASP (M.__weight_mma_mask: M.weight) the weight they name, or the one --mask-name says. MASKS may be MODEL itself when it holds its masks; then only tensors with such mask names are masks. Masks are U8, BOOL or float 0/1, and every tensor that `nmsparse mask` with the same --m, --transposable, --conv, --include and --exclude would mask must have one.',
    'With --pruned, every tensor of PRUNED that `nmsparse mask` would mask (same --m, --transposable, --conv, --include, --exclude) is checked from its nonzeros: a kept weight that is exactly 0 cannot be told from a dropped one, so groups with fewer than N nonzeros pass as "at most N" and are reported as such. The table gives each tensor\'s sparsity and, with --dense, the certified gap of its pattern against the optimum for the dense weights\' scores (--score).',
    'Exit 0 when every mask is valid (and none is missing), 1 when one is invalid or missing, 2 on a usage or input error.',
  ],
  examples: [
    'nmsparse verify W.npy mask.npy --n 2 --m 4 --transposable',
    'nmsparse verify model.safetensors masks.safetensors --n 2 --m 4 --transposable --json',
    'nmsparse verify --pruned pruned.safetensors --dense model.safetensors --n 2 --m 4',
  ],
  async run(args, out) {
    const pattern = resolvePattern(args);
    const json = args.get(JSON_FLAG);
    const v: VerifySettings = { ...pattern, fill: args.get(FILL_FLAG), score: args.get(SCORE_FLAG), backend: args.get(BACKEND_FLAG), json };
    const progress = progressFor(out.stderr, args.get(QUIET_FLAG) || json);
    const prunedPath = args.get(PRUNED_FLAG);
    if (prunedPath !== undefined) {
      if (args.operands.length > 0) throw optionError('--pruned checks one checkpoint alone; give no SCORES and MASKS with it');
      for (const flag of [ALLOW_MISSING_FLAG, MASK_NAME_FLAG]) {
        if (args.has(flag)) throw optionError(`--${flag.name} applies to a MASKS file, not to --pruned`);
      }
      args.checkInputKind('safetensors');
      const selection = resolveSelection(args, pattern);
      const { verifyPrunedFiles } = await import('../verifyPruned.js');
      return withInterrupt((signal) => verifyPrunedFiles(prunedPath, args.get(DENSE_FLAG), v, { selection, signal, progress }, out));
    }
    if (args.operands.length === 0) throw optionError('expected SCORES and MASKS, or --pruned PRUNED.safetensors');
    const [scoresPath, masksPath] = args.operands as [string, string];
    const kind = await inputKindOf(scoresPath);
    const maskKind = await inputKindOf(masksPath);
    if (kind !== maskKind) throw optionError(`the scores are a .${kind} file but the masks a .${maskKind} file; give two of the same kind`);
    args.checkInputKind(kind);
    // The verifier loads only now (commands/index.ts).
    const [{ verifyMatrixFiles }, { verifyCheckpointFiles }] = await Promise.all([import('../verifyMatrix.js'), import('../verifyCheckpoint.js')]);
    return withInterrupt((signal) =>
      kind === 'npy'
        ? verifyMatrixFiles(scoresPath, masksPath, v, signal, out)
        : verifyCheckpointFiles(
            scoresPath,
            masksPath,
            v,
            { selection: resolveSelection(args, pattern), maskName: args.get(MASK_NAME_FLAG), allowMissing: args.get(ALLOW_MISSING_FLAG), signal, progress },
            out,
          ),
      out.stderr,
    );
  },
};
