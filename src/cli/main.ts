import { NmsparseError } from '../core/errors.js';
import { demoCommand } from './demo.js';
import { inspectCommand } from './inspect.js';
import { maskCommand } from './mask.js';
import { prune24Command } from './prune24.js';
import { verifyCommand } from './verify.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  mask: maskCommand,
  verify: verifyCommand,
  demo: demoCommand,
  inspect: inspectCommand,
  prune24: prune24Command,
};

const HELP = `nmsparse: N:M and transposable N:M sparsity masks

  nmsparse demo [--size 1024] [--seed 1] [--backend B] [--json]
      every method on a seeded Gaussian matrix: objective, certified gap, time
  nmsparse mask IN.npy --n N --m M [--transposable] [--method exact|tsenor|greedy] [--fill exact|at-most]
                [--score abs|raw] [--backend auto|reference|wasm|gpu] -o OUT.npy [--force] [--json]
  nmsparse verify SCORES.npy MASK.npy --n N --m M [--transposable] [--fill ...] [--score ...] [--json]
  nmsparse mask MODEL.safetensors --n N --m M [...as above] [--include REGEX] [--exclude REGEX] [--conv]
                [--mask-dtype u8|bool] [--certify] -o MASKS.safetensors [--apply PRUNED.safetensors] [--quiet]
  nmsparse verify MODEL.safetensors MASKS.safetensors --n N --m M [--transposable] [--fill ...] [--json]
  nmsparse inspect MODEL.safetensors [--n N --m M [--transposable]] [--conv] [--json]
  nmsparse prune24 W.npy (--inputs X.npy | --hessian H.npy) -o PRUNED.npy [--mask-out MASK.npy]
                [--method prox|wanda|magnitude] [--update exact|gradient|none] [--compare] [--json]

Exit codes: 0 success, 1 verify found an invalid mask, 2 usage or input error, 130 interrupted.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`nmsparse: unknown command '${name}'; run 'nmsparse --help'\n`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (err instanceof NmsparseError) {
      process.stderr.write(`nmsparse ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
