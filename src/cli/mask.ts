import { certify } from '../verify/certify.js';
import { writeNpyFile } from '../io/npy.js';
import { standardMask, transposableMask, type MaskResult } from '../masks.js';
import { scoresFrom } from '../scores.js';
import { choiceFlag, integerFlag, parseCommandArgs } from './args.js';
import { maskCheckpointCommand } from './checkpoint.js';
import { readMatrixNpy } from './matrixFile.js';
import { BACKEND_CHOICES, FILL_CHOICES, METHOD_CHOICES, SCORE_CHOICES, formatGap, print } from './shared.js';
import { NmsparseError } from '../core/errors.js';

const USAGE =
  'nmsparse mask IN.npy --n N --m M [--transposable] [--method exact|tsenor|greedy] [--fill exact|at-most] ' +
  '[--score abs|raw] [--backend auto|reference|wasm|gpu] -o OUT.npy [--force] [--json]';

export async function maskCommand(argv: string[]): Promise<number> {
  if (argv[0]?.endsWith('.safetensors')) return maskCheckpointCommand(argv);
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      n: { type: 'string' },
      m: { type: 'string' },
      transposable: { type: 'boolean' },
      method: { type: 'string' },
      fill: { type: 'string' },
      score: { type: 'string' },
      backend: { type: 'string' },
      output: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length !== 1) throw new NmsparseError('E_OPTION', `expected one input file; usage: ${USAGE}`);
  const input = positionals[0] as string;
  const output = values.output;
  if (typeof output !== 'string') throw new NmsparseError('E_OPTION', `-o OUT.npy is required; usage: ${USAGE}`);
  const n = integerFlag(values, 'n', USAGE);
  const m = integerFlag(values, 'm', USAGE);
  const method = choiceFlag(values, 'method', METHOD_CHOICES, 'exact');
  const fill = choiceFlag(values, 'fill', FILL_CHOICES, 'exact');
  const score = choiceFlag(values, 'score', SCORE_CHOICES, 'abs');
  const backend = choiceFlag(values, 'backend', BACKEND_CHOICES, 'auto');
  const transposable = values.transposable === true;
  if (!transposable && (values.method !== undefined || values.fill !== undefined)) {
    throw new NmsparseError('E_OPTION', '--method and --fill apply to transposable masks; add --transposable');
  }

  const scores = scoresFrom(await readMatrixNpy(input, 'input'), score);
  let result: MaskResult;
  let upperBound: number;
  let gap: number;
  if (transposable) {
    const r = await transposableMask(scores, { n, m, method, fill, backend, certify: true });
    [result, upperBound, gap] = [r, r.upperBound as number, r.gap as number];
  } else {
    result = await standardMask(scores, { n, m, backend });
    ({ upperBound, gap } = await certify(scores, result.mask, { n, m, backend }));
  }
  await writeNpyFile(output, result.mask, [result.rows, result.cols], 'u8', { force: values.force === true, inputs: [input] });

  const report = {
    input,
    output,
    shape: [result.rows, result.cols],
    pattern: `${n}:${m}`,
    transposable,
    ...(transposable ? { method, fill } : {}),
    backend: result.backend,
    objective: result.objective,
    upperBound,
    gap,
    seconds: result.seconds,
  };
  if (values.json) print(JSON.stringify(report));
  else {
    const kind = transposable ? `transposable ${method} (fill ${fill})` : 'standard';
    print(`${n}:${m} ${kind} mask of ${result.rows}×${result.cols} → ${output}`);
    print(`objective ${result.objective.toPrecision(10)}, upper bound ${upperBound.toPrecision(10)}, certified gap ${formatGap(gap)}`);
    print(`backend ${result.backend}, ${result.seconds.toFixed(3)} s`);
  }
  return 0;
}
