import { NmsparseError } from '../core/errors.js';
import { writeNpyFile } from '../io/npy.js';
import { magnitudePrune24, wandaPrune24 } from '../prune/baselines.js';
import type { PruneMethod, PruneOptions, PruneResult } from '../prune/pruneOptions.js';
import type { LayerData } from '../prune/problem.js';
import { pruneLayer24 } from '../prune/pruneLayer24.js';
import type { UpdateMethod } from '../prune/update.js';
import type { MatrixLike } from '../core/matrix.js';
import { choiceFlag, parseCommandArgs } from './args.js';
import { readMatrixNpy } from './matrixFile.js';
import { BACKEND_CHOICES, print } from './shared.js';

const USAGE =
  'nmsparse prune24 W.npy (--inputs X.npy | --hessian H.npy) -o PRUNED.npy [--mask-out MASK.npy] ' +
  '[--method prox|wanda|magnitude] [--update exact|gradient|none] [--backend auto|reference|wasm|gpu] ' +
  '[--compare] [--json] [--force]';

const METHODS: Record<string, PruneMethod> = { prox: 'prox', wanda: 'wanda', magnitude: 'magnitude' };
const UPDATES: Record<string, UpdateMethod> = { exact: 'exact', gradient: 'gradient', none: 'none' };

type Pruner = (weights: MatrixLike, data: LayerData, options: PruneOptions) => Promise<PruneResult>;
const PRUNERS: Record<PruneMethod, Pruner> = { prox: pruneLayer24, wanda: wandaPrune24, magnitude: magnitudePrune24 };

/** Prunes W (out × in) to 2:4 and writes the pruned weights; prints the relative local loss. */
export async function prune24Command(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      inputs: { type: 'string' },
      hessian: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'mask-out': { type: 'string' },
      method: { type: 'string' },
      update: { type: 'string' },
      backend: { type: 'string' },
      compare: { type: 'boolean' },
      json: { type: 'boolean' },
      force: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length !== 1) throw new NmsparseError('E_OPTION', `expected one weights file W.npy; usage: ${USAGE}`);
  const weightsPath = positionals[0] as string;
  const output = values.output;
  if (typeof output !== 'string') throw new NmsparseError('E_OPTION', `-o PRUNED.npy is required; usage: ${USAGE}`);
  const maskOut = values['mask-out'];
  const inputsPath = values.inputs;
  const hessianPath = values.hessian;
  if ((typeof inputsPath === 'string') === (typeof hessianPath === 'string')) {
    throw new NmsparseError('E_OPTION', `pass exactly one of --inputs X.npy (in × samples) or --hessian H.npy; usage: ${USAGE}`);
  }
  const method = choiceFlag(values, 'method', METHODS, 'prox');
  const update = choiceFlag(values, 'update', UPDATES, 'exact');
  const backend = choiceFlag(values, 'backend', BACKEND_CHOICES, 'auto');

  const weights = await readMatrixNpy(weightsPath, 'weights');
  const data: LayerData =
    typeof inputsPath === 'string'
      ? { inputs: await readMatrixNpy(inputsPath, 'inputs') }
      : { hessian: await readMatrixNpy(hessianPath as string, 'hessian') };
  const result = await PRUNERS[method](weights, data, { update, backend });
  const writeOptions = {
    force: values.force === true,
    inputs: [weightsPath, ...(typeof inputsPath === 'string' ? [inputsPath] : [hessianPath as string])],
  };
  await writeNpyFile(output, result.weights, [result.rows, result.cols], 'f32', writeOptions);
  if (typeof maskOut === 'string') await writeNpyFile(maskOut, result.mask, [result.rows, result.cols], 'u8', writeOptions);

  const rows = [summary(result)];
  if (values.compare === true) {
    for (const other of Object.keys(PRUNERS) as PruneMethod[]) {
      for (const u of Object.values(UPDATES)) {
        if (other === method && u === update) continue;
        rows.push(summary(await PRUNERS[other](weights, data, { update: u, backend })));
      }
    }
  }
  if (values.json === true) {
    print(JSON.stringify({ output, maskOutput: maskOut ?? null, results: rows }));
  } else {
    print(`2:4 ${method} (update ${update}) of ${result.rows}×${result.cols} → ${output}`);
    for (const r of rows) {
      print(`  ${`${r.method}+${r.update}`.padEnd(18)} relative loss ${r.relativeLoss.toExponential(4)}  ${r.seconds.toFixed(2)} s`);
    }
  }
  return 0;
}

function summary(r: PruneResult) {
  return { method: r.method, update: r.update, relativeLoss: r.relativeLoss, seconds: r.seconds, lambdaLevels: r.history.length };
}
