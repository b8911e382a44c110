/**
 * Writes a seeded synthetic safetensors checkpoint for measuring `nmsparse mask` on a whole model:
 * `--layers` weight matrices of rows×cols (N(0, 0.02²) values) in the chosen float dtype, each
 * followed by a 1-D F32 norm vector, the way a transformer's checkpoint interleaves them.
 * The default, 32 layers of 4096×4096 F16, is 1 GiB of weights.
 *
 *   npx tsc --outDir /tmp/nmsparse-scripts --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --strict --skipLibCheck scripts/make-checkpoint.ts
 *   node /tmp/nmsparse-scripts/scripts/make-checkpoint.js /tmp/model-1gib.safetensors
 *
 * Options: --layers L (32), --rows R (4096), --cols C (4096), --dtype F16|BF16|F32|F64 (F16), --seed K (1).
 */
import { parseArgs } from 'node:util';
import { encodeTensorData, SafetensorsWriter, type FloatDtype, type TensorEntry } from '../src/io/safetensors.js';
import { gaussianSource, mulberry32 } from '../src/core/random.js';

const { values, positionals } = parseArgs({
  options: {
    layers: { type: 'string', default: '32' },
    rows: { type: 'string', default: '4096' },
    cols: { type: 'string', default: '4096' },
    dtype: { type: 'string', default: 'F16' },
    seed: { type: 'string', default: '1' },
  },
  allowPositionals: true,
});
const out = positionals[0];
const layers = Number(values.layers);
const rows = Number(values.rows);
const cols = Number(values.cols);
const dtype = values.dtype as FloatDtype;
if (!out || ![layers, rows, cols].every((x) => Number.isInteger(x) && x > 0) || !['F16', 'BF16', 'F32', 'F64'].includes(dtype)) {
  console.error('usage: make-checkpoint OUT.safetensors [--layers 32] [--rows 4096] [--cols 4096] [--dtype F16|BF16|F32|F64] [--seed 1]');
  process.exit(2);
}

const entries: TensorEntry[] = [];
for (let l = 0; l < layers; l++) {
  entries.push({ name: `model.layers.${l}.weight`, dtype, shape: [rows, cols] });
  entries.push({ name: `model.layers.${l}.norm`, dtype: 'F32', shape: [cols] });
}
const writer = await SafetensorsWriter.create(out, entries, { format: 'pt', generator: 'nmsparse scripts/make-checkpoint.ts' }, { force: true });
const normal = gaussianSource(mulberry32(Number(values.seed)));
const weights = new Float32Array(rows * cols);
for (let l = 0; l < layers; l++) {
  for (let i = 0; i < weights.length; i++) weights[i] = 0.02 * normal();
  await writer.writeTensor(encodeTensorData(weights, dtype));
  await writer.writeTensor(encodeTensorData(new Float32Array(cols).fill(1), 'F32'));
}
await writer.commit();
console.log(`wrote ${out}: ${layers} × ${rows}×${cols} ${dtype} weights and ${layers} norms`);
