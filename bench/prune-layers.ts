/**
 * Layer-wise pruning benchmark: quality (relative loss ‖(W − Ŵ)Xᵀ‖²/‖WXᵀ‖²) of every pruneLayer method
 * on synthetic layers and patterns, speed on a 1024×1024 layer with 4096 samples, the WebAssembly GEMM
 * against numpy f32, and a PyTorch CPU SparseGPT (bench/sparsegpt_torch.py) on the same layers when
 * Debian's python3-torch is importable. Prints Markdown tables (docs/benchmarks.md, "Pruning").
 *
 *   npm run build && npm run bench:prune              # quality + speed (a few minutes on 2 cores)
 *   npm run bench:prune -- --quality | --speed        # one part only
 *   npm run bench:prune -- --large                    # also 4096×4096 with 8192 samples (SparseGPT)
 *
 * Debian's numpy and torch call libblas.so.3: with only the reference BLAS installed they run GEMM at about
 * 1 GFLOP/s, so install OpenBLAS first (`apt-get install -y python3-torch libopenblas0-pthread`).
 *
 * Layers (seeded; inputs samples × in):
 * - block-correlated: 16-feature blocks share a latent factor (x = 0.9·z_block + 0.44·ε);
 * - AR(1): x_{j+1} = 0.9·x_j + √0.19·ε along the features;
 * - outlier features: AR(1) with 1% of the features scaled ×30 (the activation outliers of LLMs).
 */
// Installs Node's runtime (build/*.wasm via fs, the worker pool) as the package's Node entry does.
import '../test/support/nodeRuntime.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gaussianSource, mulberry32 } from '../src/core/random.js';
import { encodeNpy, parseNpy } from '../src/io/npy.js';
import { configureWasm } from '../src/backends/wasm.js';
import * as wasmLinalg from '../src/backends/wasmLinalg.js';
import { linalgFor } from '../src/prune/linalg.js';
import { layerProblem, relativeLoss } from '../src/prune/problem.js';
import { pruneLayer } from '../src/prune/pruneLayer.js';
import type { LayerMethod, PruneLayerOptions } from '../src/prune/pruneOptions.js';
import type { UpdateMethod } from '../src/prune/update.js';

type Matrix = { rows: number; cols: number; data: Float32Array };
interface Layer {
  name: string;
  weights: Matrix;
  inputs: Matrix;
}

const PYTHON = '/usr/bin/python3';
const THREADS = 2;
const args = new Set(process.argv.slice(2));
const quality = !args.has('--speed');
const speed = !args.has('--quality');

function layer(name: string, rows: number, cols: number, samples: number, seed: number): Layer {
  const normal = gaussianSource(mulberry32(seed));
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = normal();
  const x = new Float32Array(samples * cols);
  const outlier = (j: number): number => (name === 'outlier features' && j % 100 === 37 ? 30 : 1);
  for (let s = 0; s < samples; s++) {
    let prev = normal();
    let latent = 0;
    for (let j = 0; j < cols; j++) {
      if (name === 'block-correlated') {
        if (j % 16 === 0) latent = normal();
        x[s * cols + j] = 0.9 * latent + 0.44 * normal();
      } else {
        if (j > 0) prev = 0.9 * prev + Math.sqrt(0.19) * normal();
        x[s * cols + j] = prev * outlier(j);
      }
    }
  }
  return { name, weights: { rows, cols, data: w }, inputs: { rows: samples, cols, data: x } };
}

let torchChecked: string | undefined;
/** Why PyTorch cannot run here, or undefined when it can. */
function torchMissing(): string | undefined {
  if (torchChecked === undefined) {
    try {
      execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'pipe' });
      torchChecked = '';
    } catch {
      torchChecked = `no PyTorch for ${PYTHON} (apt-get install -y python3-torch)`;
    }
  }
  return torchChecked || undefined;
}

const scratch = mkdtempSync(join(tmpdir(), 'nmsparse-prune-bench-'));

/** PyTorch SparseGPT on the layer: its weights and seconds (H = XᵀX included). */
function torchSparseGpt(l: Layer, n: number, m: number): { weights: Float32Array; seconds: number } {
  const w = join(scratch, 'w.npy');
  const x = join(scratch, 'x.npy');
  const out = join(scratch, 'out.npy');
  writeFileSync(w, encodeNpy(l.weights.data, [l.weights.rows, l.weights.cols], 'f32'));
  writeFileSync(x, encodeNpy(l.inputs.data, [l.inputs.rows, l.inputs.cols], 'f32'));
  const script = new URL('../../../bench/sparsegpt_torch.py', import.meta.url).pathname;
  const report = JSON.parse(execFileSync(PYTHON, [script, w, x, String(n), String(m), out, String(THREADS)]).toString());
  return { weights: parseNpy(readFileSync(out)).data as Float32Array, seconds: report.seconds };
}

async function lossOf(l: Layer, w: Float32Array): Promise<number> {
  const linalg = linalgFor('wasm');
  const p = await layerProblem(l.weights, { inputs: l.inputs }, 'samples-by-features', linalg, { m: 4, transposable: false });
  return relativeLoss(p, w, linalg);
}

interface Variant {
  label: string;
  method: LayerMethod;
  update: UpdateMethod;
}
const VARIANTS: Variant[] = [
  { label: 'magnitude + exact', method: 'magnitude', update: 'exact' },
  { label: 'Wanda + exact', method: 'wanda', update: 'exact' },
  { label: 'SparseGPT', method: 'sparsegpt', update: 'none' },
  { label: 'SparseGPT + exact', method: 'sparsegpt', update: 'exact' },
  { label: 'ALPS (+ exact)', method: 'alps', update: 'exact' },
  { label: 'prox (+ exact)', method: 'prox', update: 'exact' },
];
const PATTERNS = [
  { label: '2:4', n: 2, m: 4, transposable: false },
  { label: '16:32', n: 16, m: 32, transposable: false },
  { label: 'T 8:16', n: 8, m: 16, transposable: true },
  { label: 'T 16:32', n: 16, m: 32, transposable: true },
];

function fmt(x: number): string {
  return x.toFixed(4);
}

async function qualityTables(): Promise<void> {
  const layers = ['block-correlated', 'AR(1)', 'outlier features'].map((name, k) => layer(name, 256, 512, 2048, 11 + k));
  console.log('### Quality: relative loss ‖(W − Ŵ)Xᵀ‖²/‖WXᵀ‖², 256×512 layers, 2048 samples\n');
  console.log('T = transposable (mask solver: exact). Lower is better.\n');
  for (const l of layers) {
    console.log(`**${l.name}**\n`);
    console.log(`| method | ${PATTERNS.map((p) => p.label).join(' | ')} |`);
    console.log(`|---|${PATTERNS.map(() => '---:').join('|')}|`);
    for (const v of VARIANTS) {
      const cells: string[] = [];
      for (const p of PATTERNS) {
        if (v.method === 'prox' && p.label !== '2:4') {
          cells.push('—');
          continue;
        }
        const options: PruneLayerOptions = { n: p.n, m: p.m, transposable: p.transposable, method: v.method, update: v.update };
        cells.push(fmt((await pruneLayer(l.weights, { inputs: l.inputs }, options)).relativeLoss));
      }
      console.log(`| ${v.label} | ${cells.join(' | ')} |`);
    }
    const missing = torchMissing();
    const torchCells: (string | undefined)[] = PATTERNS.map((p) => (p.transposable || missing ? '—' : undefined));
    for (const [i, p] of PATTERNS.entries()) {
      if (torchCells[i] === undefined) torchCells[i] = fmt(await lossOf(l, torchSparseGpt(l, p.n, p.m).weights));
    }
    console.log(`| PyTorch SparseGPT${missing ? ` (${missing})` : ''} | ${torchCells.join(' | ')} |\n`);
  }
}

async function gemmRates(sizes: number[]): Promise<void> {
  let numpy: Record<string, number> = {};
  try {
    const out = execFileSync(PYTHON, [new URL('../../../bench/gemm_numpy.py', import.meta.url).pathname, ...sizes.map(String)], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(THREADS), OMP_NUM_THREADS: String(THREADS) },
    });
    numpy = JSON.parse(out.toString()).rates;
  } catch (e) {
    console.log(`(numpy not available: ${(e as Error).message.split('\n')[0]})\n`);
  }
  console.log(`### f32 GEMM C = A·B, ${THREADS} threads, best of 3\n`);
  console.log('| side | nmsparse WASM GFLOP/s | numpy f32 GFLOP/s | ratio |');
  console.log('|---:|---:|---:|---:|');
  for (const size of sizes) {
    const rng = gaussianSource(mulberry32(size));
    const a = Float32Array.from({ length: size * size }, rng);
    const b = Float32Array.from({ length: size * size }, rng);
    const c = new Float32Array(size * size);
    await wasmLinalg.gemm(a, b, c, { m: size, k: size, n: size });
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      await wasmLinalg.gemm(a, b, c, { m: size, k: size, n: size });
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    const ours = (2 * size ** 3) / best / 1e9;
    const theirs = numpy[String(size)];
    console.log(`| ${size} | ${ours.toFixed(1)} | ${theirs ? theirs.toFixed(1) : '—'} | ${theirs ? (ours / theirs).toFixed(2) : '—'} |`);
  }
  console.log('');
}

async function speedTable(rows: number, samples: number, methods: Variant[]): Promise<void> {
  const l = layer('AR(1)', rows, rows, samples, 5);
  console.log(`### Speed: ${rows}×${rows} AR(1) layer, ${samples} samples, 2:4, ${THREADS} threads\n`);
  console.log('| method | seconds | relative loss |');
  console.log('|---|---:|---:|');
  for (const v of methods) {
    const t = performance.now();
    const r = await pruneLayer(l.weights, { inputs: l.inputs }, { n: 2, m: 4, method: v.method, update: v.update });
    console.log(`| ${v.label} | ${((performance.now() - t) / 1000).toFixed(2)} | ${fmt(r.relativeLoss)} |`);
  }
  const missing = torchMissing();
  if (missing) {
    console.log(`| PyTorch SparseGPT | — (${missing}) | — |\n`);
    return;
  }
  const torch = torchSparseGpt(l, 2, 4);
  console.log(`| PyTorch SparseGPT (CPU, ${THREADS} threads) | ${torch.seconds.toFixed(2)} | ${fmt(await lossOf(l, torch.weights))} |\n`);
}

await configureWasm({ threads: THREADS });
if (quality) await qualityTables();
if (speed) {
  await gemmRates([1024, 2048, 4096]);
  await speedTable(1024, 4096, VARIANTS);
  if (args.has('--large')) await speedTable(4096, 8192, VARIANTS.filter((v) => v.method === 'sparsegpt' && v.update === 'none'));
}
process.exit(0);
