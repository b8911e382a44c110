/**
 * Layer-wise pruning benchmark: quality (relative loss ‖(W − Ŵ)Xᵀ‖²/‖WXᵀ‖²) of every pruneLayer method
 * on the layers of prune-layer-set.ts (three seeded synthetic layers and the two hidden layers of the
 * MNIST example's trained MLP) and patterns, speed on a 1024×1024 layer with 4096 samples, the
 * WebAssembly GEMM against numpy f32, and a PyTorch CPU SparseGPT (bench/sparsegpt_torch.py) on the same
 * layers when Debian's python3-torch is importable. Prints Markdown tables (docs/benchmarks.md, "Layer
 * pruning"); a quality run also writes its numbers to a new file
 * bench/results/<machine>/prune-layers/<YYYY-MM-DD>[-N].json (never replacing one).
 *
 *   npm run build && npm run bench:prune              # quality + speed (a few minutes on 2 cores)
 *   npm run bench:prune -- --quality | --speed        # one part only
 *   npm run bench:prune -- --quality --layers mnist   # quality on some layers: synthetic | mnist | all
 *   npm run bench:prune -- --large                    # also 4096×4096 with 8192 samples (SparseGPT)
 *
 * The MNIST model is the example's default one, read from examples/mnist/.cache/ or trained from its
 * fixed seed (seconds) and cached there.
 *
 * Debian's numpy and torch call libblas.so.3: with only the reference BLAS installed they run GEMM at about
 * 1 GFLOP/s, so install OpenBLAS first (`apt-get install -y python3-torch libopenblas0-pthread`).
 */
// Installs Node's runtime (build/*.wasm via fs, the worker pool) as the package's Node entry does.
import '../test/support/nodeRuntime.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
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
import { denseModel } from '../examples/mnist/cache.js';
import { DEFAULT_CONFIG } from '../examples/mnist/config.js';
import { head, loadSplit } from '../examples/mnist/data.js';
import { gitCommit, repoRoot } from './native.js';
import { deadInputs, mnistLayers, SYNTHETIC_KINDS, syntheticLayer, type BenchLayer } from './prune-layer-set.js';
import { writeNewResultsFile } from './results.js';

const PYTHON = '/usr/bin/python3';
const THREADS = 2;
const argv = process.argv.slice(2);
const args = new Set(argv);
const quality = !args.has('--speed');
const speed = !args.has('--quality');
const LAYER_SETS = ['all', 'synthetic', 'mnist'] as const;
const layerSet = argv.includes('--layers') ? argv[argv.indexOf('--layers') + 1] : 'all';
if (!LAYER_SETS.includes(layerSet as (typeof LAYER_SETS)[number])) {
  throw new Error(`--layers takes one of ${LAYER_SETS.join(', ')}; got ${JSON.stringify(layerSet)}`);
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
function torchSparseGpt(l: BenchLayer, n: number, m: number): { weights: Float32Array; seconds: number; torch: string } {
  const w = join(scratch, 'w.npy');
  const x = join(scratch, 'x.npy');
  const out = join(scratch, 'out.npy');
  writeFileSync(w, encodeNpy(l.weights.data, [l.weights.rows, l.weights.cols], 'f32'));
  writeFileSync(x, encodeNpy(l.inputs.data, [l.inputs.rows, l.inputs.cols], 'f32'));
  const script = new URL('../../../bench/sparsegpt_torch.py', import.meta.url).pathname;
  const report = JSON.parse(execFileSync(PYTHON, [script, w, x, String(n), String(m), out, String(THREADS)]).toString());
  return { weights: parseNpy(readFileSync(out)).data as Float32Array, seconds: report.seconds, torch: report.torch };
}

async function lossOf(l: BenchLayer, w: Float32Array): Promise<number> {
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

const TORCH_LABEL = 'PyTorch SparseGPT';

/** One layer's quality figures: relative loss per row label and pattern label (null: not run there). */
interface LayerQuality {
  name: string;
  rows: number;
  cols: number;
  samples: number;
  /** Input columns that are zero in every sample (H singular there). */
  deadInputs: number;
  losses: Record<string, Record<string, number | null>>;
}

interface QualityResults {
  info: {
    date: string;
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    command: string;
    commit?: string;
    loadAverage: { start: number; end: number };
    /** PyTorch's version, or why the PyTorch rows are missing. */
    torch: string;
  };
  layers: LayerQuality[];
}

async function benchLayers(): Promise<BenchLayer[]> {
  const layers: BenchLayer[] = [];
  if (layerSet !== 'mnist') layers.push(...SYNTHETIC_KINDS.map((kind, k) => syntheticLayer(kind, 256, 512, 2048, 11 + k)));
  if (layerSet !== 'synthetic') {
    const split = loadSplit();
    const { model } = await denseModel(DEFAULT_CONFIG, split, join(repoRoot(), 'examples', 'mnist', '.cache'));
    layers.push(...(await mnistLayers(model, head(split.train, DEFAULT_CONFIG.calibrationSamples))));
  }
  return layers;
}

async function layerQuality(l: BenchLayer, torch: { version: string }): Promise<LayerQuality> {
  const losses: Record<string, Record<string, number | null>> = {};
  for (const v of VARIANTS) {
    const row: Record<string, number | null> = (losses[v.label] = {});
    for (const p of PATTERNS) {
      if (v.method === 'prox' && p.label !== '2:4') {
        row[p.label] = null;
        continue;
      }
      const options: PruneLayerOptions = { n: p.n, m: p.m, transposable: p.transposable, method: v.method, update: v.update };
      row[p.label] = (await pruneLayer(l.weights, { inputs: l.inputs }, options)).relativeLoss;
    }
  }
  const torchRow: Record<string, number | null> = (losses[TORCH_LABEL] = {});
  for (const p of PATTERNS) {
    torchRow[p.label] = null;
    if (p.transposable || torchMissing()) continue;
    const run = torchSparseGpt(l, p.n, p.m);
    torch.version = run.torch;
    torchRow[p.label] = await lossOf(l, run.weights);
  }
  return { name: l.name, rows: l.weights.rows, cols: l.weights.cols, samples: l.inputs.rows, deadInputs: deadInputs(l.inputs), losses };
}

function qualityTable(q: LayerQuality, torchNote: string | undefined): string {
  const dead = q.deadInputs > 0 ? `, ${q.deadInputs} always-zero inputs` : '';
  const lines = [
    `**${q.name}** (${q.rows}×${q.cols}, ${q.samples} samples${dead})`,
    '',
    `| method | ${PATTERNS.map((p) => p.label).join(' | ')} |`,
    `|---|${PATTERNS.map(() => '---:').join('|')}|`,
  ];
  const cells = (value: (p: (typeof PATTERNS)[number]) => string | undefined) => PATTERNS.map((p) => value(p) ?? '—').join(' | ');
  for (const [label, row] of Object.entries(q.losses)) {
    const note = label === TORCH_LABEL && torchNote ? ` (${torchNote})` : '';
    lines.push(`| ${label}${note} | ${cells((p) => row[p.label]?.toPrecision(3))} |`);
  }
  const ours = q.losses['SparseGPT'] ?? {};
  const theirs = q.losses[TORCH_LABEL] ?? {};
  lines.push(`| SparseGPT ÷ PyTorch's | ${cells((p) => (ours[p.label] && theirs[p.label] ? ((ours[p.label] as number) / (theirs[p.label] as number)).toFixed(3) : undefined))} |`);
  return lines.join('\n') + '\n';
}

async function qualityTables(): Promise<void> {
  const started = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const commit = gitCommit();
  const layers = await benchLayers();
  const missing = torchMissing();
  const torch = { version: missing ?? 'not run' };
  console.log('### Quality: relative loss ‖(W − Ŵ)Xᵀ‖²/‖WXᵀ‖²\n');
  console.log('T = transposable (mask solver: exact). Lower is better; 3 significant digits.\n');
  const qualities: LayerQuality[] = [];
  for (const l of layers) {
    const q = await layerQuality(l, torch);
    qualities.push(q);
    console.log(qualityTable(q, missing));
  }
  const cpu = cpus();
  const results: QualityResults = {
    info: {
      date: started,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      command: `npm run bench:prune -- ${argv.join(' ')}`.trim(),
      ...(commit ? { commit } : {}),
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      torch: torch.version,
    },
    layers: qualities,
  };
  console.log(`(quality results written to ${writeNewResultsFile(join(repoRoot(), 'bench', 'results'), results, 'prune-layers')})\n`);
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
  const l = syntheticLayer('AR(1)', rows, rows, samples, 5);
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
