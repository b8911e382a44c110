// The files of a one-layer prune (`prune`, `prune24`): the weights operand, exactly one of --inputs or
// --hessian, -o and an optional --mask-out, all .npy, checked before any work.
import { resolve } from 'node:path';
import { displayText } from '../core/text.js';
import { detectFormat } from '../io/index.js';
import type { Matrix } from '../index.js';
import { optionError, type Flag } from './flags.js';
import { checkOutputName } from './inputKind.js';
import { readMatrixNpy } from './matrixFile.js';
import type { ParsedArgs } from './parse.js';

export interface LayerFileFlags {
  inputs: Flag<string>;
  hessian: Flag<string>;
  output: Flag<string>;
  maskOut: Flag<string>;
}

export interface LayerFiles {
  weightsPath: string;
  output: string;
  maskOut: string | undefined;
  /** Every input path, for the output checks. */
  inputs: string[];
  /** -o and --mask-out with their flag labels, for the output set. */
  outputs: { path: string; label: string }[];
  /** Reads the calibration data the flags name. */
  readData(): Promise<{ inputs: Matrix } | { hessian: Matrix }>;
}

/** Checks the files of `command` (exactly one data source, .npy in and out, distinct outputs). */
export async function layerFiles(args: ParsedArgs, flags: LayerFileFlags, command: string, inputsHint: string): Promise<LayerFiles> {
  const weightsPath = args.operands[0] as string;
  const output = args.require(flags.output);
  const maskOut = args.get(flags.maskOut);
  const inputsPath = args.get(flags.inputs);
  const hessianPath = args.get(flags.hessian);
  const dataPath = inputsPath ?? hessianPath;
  if (dataPath === undefined || (inputsPath !== undefined && hessianPath !== undefined)) {
    throw optionError(`give exactly one of --inputs X.npy${inputsHint} or --hessian H.npy`);
  }
  if (maskOut !== undefined && resolve(maskOut) === resolve(output)) {
    throw optionError('--mask-out and -o name the same file; the weights and the mask need two files');
  }
  for (const path of [weightsPath, dataPath]) {
    if ((await detectFormat(path)) !== 'npy') throw optionError(`${command} reads .npy matrices; ${displayText(path, 120)} is not one`);
  }
  checkOutputName(output, 'npy', '-o');
  if (maskOut !== undefined) checkOutputName(maskOut, 'npy', '--mask-out');
  return {
    weightsPath,
    output,
    maskOut,
    inputs: [weightsPath, dataPath],
    outputs: [{ path: output, label: '-o' }, ...(maskOut === undefined ? [] : [{ path: maskOut, label: '--mask-out' }])],
    readData: async () =>
      inputsPath !== undefined ? { inputs: await readMatrixNpy(inputsPath, 'inputs') } : { hessian: await readMatrixNpy(dataPath, 'hessian') },
  };
}
