/**
 * The demo page (`npm run web`, docs/runtimes.md): weights from a dropped .npy or .safetensors file are
 * parsed from bytes (nmsparse/io's byte parsers), masked with the chosen N:M, method and backend on |w|,
 * certified, drawn (a tile region, a histogram of kept vs dropped magnitudes) and offered back as a
 * safetensors file of U8 masks (nmsparse/io's header serialiser, in memory).
 */
import { NmsparseError, certify, configureWasm, scoresFrom, standardMask, transposableMask } from '../src/web.js';
import type { BackendChoice, Matrix, TransposableMethod } from '../src/web.js';
import { parseNpy } from '../src/io/npy.js';
import { SafetensorsReader, encodeTensorData, memorySource } from '../src/io/safetensors.js';
import { serializeHeader } from '../src/io/safetensorsHeader.js';

/** A 2-D tensor of the file, as weights. */
interface Weights {
  name: string;
  matrix: Matrix;
}

interface Solved {
  name: string;
  scores: Matrix;
  mask: Uint8Array;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = $('status');
let loaded: Weights[] = [];
let solved: Solved[] = [];

// esbuild does not ship the wasm by itself: scripts/web.mjs copies both builds beside this bundle.
await configureWasm({ url: globalThis.crossOriginIsolated ? './nmsparse-threads.wasm' : './nmsparse.wasm' });

function say(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'error' : '';
}

/** The 2-D float tensors of a .npy or .safetensors file (by its magic bytes). */
async function tensorsOf(name: string, bytes: Uint8Array): Promise<{ tensors: Weights[]; skipped: string[] }> {
  const isNpy = bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY';
  if (isNpy) {
    const array = parseNpy(bytes, name);
    if (array.shape.length !== 2 || !(array.data instanceof Float32Array)) {
      return { tensors: [], skipped: [`${name}: not a 2-D float array`] };
    }
    return { tensors: [{ name: 'array', matrix: { rows: array.shape[0]!, cols: array.shape[1]!, data: array.data } }], skipped: [] };
  }
  const reader = await SafetensorsReader.open(memorySource(bytes, name));
  const tensors: Weights[] = [];
  const skipped: string[] = [];
  for (const info of reader.tensors) {
    if (info.shape.length !== 2 || !info.supported || !['F16', 'BF16', 'F32', 'F64'].includes(info.dtype)) {
      skipped.push(`${info.name}: not a 2-D float tensor`);
      continue;
    }
    tensors.push({ name: info.name, matrix: { rows: info.shape[0]!, cols: info.shape[1]!, data: await reader.readFloats(info) } });
  }
  return { tensors, skipped };
}

async function load(file: File): Promise<void> {
  try {
    const { tensors, skipped } = await tensorsOf(file.name, new Uint8Array(await file.arrayBuffer()));
    loaded = tensors;
    $<HTMLButtonElement>('run').disabled = tensors.length === 0;
    say(`${file.name}: ${tensors.length} 2-D float tensor(s)${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`);
  } catch (e) {
    loaded = [];
    say(e instanceof NmsparseError ? `${e.code}: ${e.message}` : String(e), true);
  }
}

function fits(m: Matrix, mm: number, transposable: boolean): boolean {
  return m.cols % mm === 0 && (!transposable || m.rows % mm === 0);
}

async function run(): Promise<void> {
  const [n, m] = $<HTMLSelectElement>('pattern').value.split(':').map(Number) as [number, number];
  const transposable = $<HTMLInputElement>('transposable').checked;
  const method = $<HTMLSelectElement>('method').value as TransposableMethod;
  const backend = $<HTMLSelectElement>('backend').value as BackendChoice;
  const body = $('results').querySelector('tbody') as HTMLTableSectionElement;
  body.replaceChildren();
  solved = [];
  $<HTMLButtonElement>('run').disabled = true;
  try {
    for (const { name, matrix } of loaded) {
      const row = body.insertRow();
      const shape = `${matrix.rows}×${matrix.cols}`;
      if (!fits(matrix, m, transposable)) {
        for (const text of [name, shape, `not a multiple of ${m}`, '', '', '']) row.insertCell().textContent = text;
        continue;
      }
      say(`masking ${name} (${shape})…`);
      const scores = scoresFrom(matrix, 'abs');
      const result = transposable
        ? await transposableMask(scores, { n, m, method, backend })
        : await standardMask(scores, { n, m, backend });
      const certificate = await certify(scores, result.mask, { n, m, transposable });
      for (const text of [
        name,
        shape,
        result.objective.toFixed(4),
        `${(certificate.gap * 100).toPrecision(3)}%`,
        result.seconds.toFixed(3),
        result.backend,
      ]) {
        row.insertCell().textContent = text;
      }
      solved.push({ name, scores, mask: result.mask });
    }
    $('results').hidden = false;
    if (solved[0]) draw(solved[0], m);
    $<HTMLButtonElement>('download').disabled = solved.length === 0;
    say(`done: ${solved.length} mask(s) of ${n}:${m}${transposable ? ', transposable' : ''}`);
  } catch (e) {
    say(e instanceof NmsparseError ? `${e.code}: ${e.message}` : String(e), true);
  } finally {
    $<HTMLButtonElement>('run').disabled = loaded.length === 0;
  }
}

const KEPT = '#1f5fbf';
const DROPPED = '#f0a050';

/** The top-left region (at most 64×64 entries) of the first mask, and the histogram of |w|. */
function draw({ name, scores, mask }: Solved, m: number): void {
  const tiles = $<HTMLCanvasElement>('tiles');
  const g = tiles.getContext('2d') as CanvasRenderingContext2D;
  const rows = Math.min(64, scores.rows);
  const cols = Math.min(64, scores.cols);
  const cell = Math.floor(tiles.width / Math.max(rows, cols));
  g.clearRect(0, 0, tiles.width, tiles.height);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      g.fillStyle = mask[i * scores.cols + j] ? KEPT : DROPPED;
      g.fillRect(j * cell, i * cell, cell, cell);
    }
  }
  g.strokeStyle = '#fff';
  for (let k = 0; k <= Math.max(rows, cols); k += m) {
    g.beginPath();
    g.moveTo(k * cell, 0);
    g.lineTo(k * cell, rows * cell);
    g.moveTo(0, k * cell);
    g.lineTo(cols * cell, k * cell);
    g.stroke();
  }
  drawHistogram(scores, mask);
  $('caption').textContent =
    `${name}: top-left ${rows}×${cols} entries (kept blue, dropped orange; white lines: ${m}×${m} tiles), and |w| of kept vs dropped.`;
  $('pictures').hidden = false;
}

function drawHistogram(scores: Matrix, mask: Uint8Array): void {
  const canvas = $<HTMLCanvasElement>('histogram');
  const g = canvas.getContext('2d') as CanvasRenderingContext2D;
  const bins = 32;
  let max = 0;
  for (const x of scores.data) max = Math.max(max, x);
  const kept = new Array<number>(bins).fill(0);
  const dropped = new Array<number>(bins).fill(0);
  scores.data.forEach((x, k) => {
    const bin = Math.min(bins - 1, Math.floor((x / (max || 1)) * bins));
    (mask[k] ? kept : dropped)[bin]! += 1;
  });
  const top = Math.max(1, ...kept, ...dropped);
  const width = canvas.width / bins;
  g.clearRect(0, 0, canvas.width, canvas.height);
  for (let b = 0; b < bins; b++) {
    for (const [counts, color, offset] of [[dropped, DROPPED, 0], [kept, KEPT, width / 2]] as const) {
      const h = (counts[b]! / top) * (canvas.height - 4);
      g.fillStyle = color;
      g.fillRect(b * width + offset, canvas.height - h, width / 2 - 1, h);
    }
  }
}

/**
 * The masks as a safetensors file (U8, one per tensor): nmsparse/io's header, then each tensor's bytes
 * in order — what its SafetensorsWriter writes, assembled in memory (the writer itself targets files).
 */
function download(): void {
  const entries = solved.map((s) => ({ name: s.name, dtype: 'U8' as const, shape: [s.scores.rows, s.scores.cols] }));
  const parts = [serializeHeader(entries, { producer: 'nmsparse demo' }), ...solved.map((s) => encodeTensorData(s.mask, 'U8'))];
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob(parts as BlobPart[], { type: 'application/octet-stream' }));
  link.download = 'masks.safetensors';
  link.click();
  // The download reads the Blob after this returns; a minute later nothing needs it.
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void load(file);
});
$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void load(file);
});
$('run').addEventListener('click', () => void run());
$('download').addEventListener('click', download);
say('ready: drop a file');
