import { certify } from '../verify/certify.js';
import { NmsparseError } from '../core/errors.js';
import { scoresFrom } from '../scores.js';
import { choiceFlag, integerFlag, parseCommandArgs } from './args.js';
import { verifyCheckpointCommand } from './checkpoint.js';
import { readMaskNpy, readMatrixNpy } from './matrixFile.js';
import { BACKEND_CHOICES, FILL_CHOICES, SCORE_CHOICES, formatGap, print } from './shared.js';

const USAGE =
  'nmsparse verify SCORES.npy MASK.npy --n N --m M [--transposable] [--fill exact|at-most] [--score abs|raw] ' +
  '[--backend auto|reference|wasm|gpu] [--json]';

/** Exit 0 when the mask is valid, 1 when it is not, 2 on usage or input errors. */
export async function verifyCommand(argv: string[]): Promise<number> {
  if (argv[0]?.endsWith('.safetensors')) return verifyCheckpointCommand(argv);
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      n: { type: 'string' },
      m: { type: 'string' },
      transposable: { type: 'boolean' },
      fill: { type: 'string' },
      score: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length !== 2) throw new NmsparseError('E_OPTION', `expected SCORES.npy and MASK.npy; usage: ${USAGE}`);
  const [scoresPath, maskPath] = positionals as [string, string];
  const n = integerFlag(values, 'n', USAGE);
  const m = integerFlag(values, 'm', USAGE);
  const fill = choiceFlag(values, 'fill', FILL_CHOICES, 'exact');
  const score = choiceFlag(values, 'score', SCORE_CHOICES, 'abs');
  const backend = choiceFlag(values, 'backend', BACKEND_CHOICES, 'auto');
  const transposable = values.transposable === true;

  const scores = scoresFrom(await readMatrixNpy(scoresPath, 'scores'), score);
  const mask = await readMaskNpy(maskPath);
  const c = await certify(scores, mask, { n, m, transposable, fill, backend });
  if (values.json) {
    print(JSON.stringify(c));
  } else {
    print(c.valid ? 'valid' : `INVALID: ${c.violationCount} violation(s)`);
    for (const v of c.violations) print(`  ${JSON.stringify(v)}`);
    print(`objective ${c.objective.toPrecision(10)}, upper bound ${c.upperBound.toPrecision(10)}, certified gap ${formatGap(c.gap)}`);
  }
  return c.valid ? 0 : 1;
}
