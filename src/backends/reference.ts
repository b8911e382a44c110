/**
 * The reference backend: the readable TypeScript solvers of src/reference, the spec of record that the
 * other backends are tested against (test/backends/conformance.test.ts). Work runs in chunks on the
 * calling thread, with progress and abort checks between chunks.
 */
import { runChunked } from '../core/chunks.js';
import { rowwiseMaskedSum } from '../core/matrix.js';
import type { ExactSolution } from '../core/types.js';
import { exactTiles } from '../reference/exact.js';
import { greedyTiles } from '../reference/greedy.js';
import { prox24Groups } from '../reference/prox24.js';
import { standardRows } from '../reference/standard.js';
import { obsBlockRows, obsSweep } from '../reference/obsSweep.js';
import { tsenorTiles } from '../reference/tsenor.js';
import * as linalg from '../reference/linalg.js';
import { registerBackend, registerKernel } from './registry.js';
import { registerTiledTransposable } from './tiled.js';

/** Tiles per chunk between progress reports and abort checks. */
const TILE_CHUNK = 512;

registerBackend({
  name: 'reference',
  available: async () => ({ available: true, reason: 'pure TypeScript, runs everywhere' }),
});

registerKernel('standardMask', 'reference', async ({ scores, n, m, out = new Uint8Array(scores.rows * scores.cols) }, ctx) => {
  const rowChunk = Math.max(1, Math.floor((TILE_CHUNK * m * m) / scores.cols));
  await runChunked(scores.rows, rowChunk, ctx, (start, end) => {
    standardRows(scores.data, scores.rows, scores.cols, n, m, start, end, out);
  });
  return { mask: out, objective: rowwiseMaskedSum(scores.data, out, scores.cols) };
});

registerKernel('exactTiles', 'reference', async ({ batch, n, fill }, ctx) => {
  const size = batch.count * batch.m;
  const out: ExactSolution = { mask: new Uint8Array(size * batch.m), u: new Float64Array(size), v: new Float64Array(size) };
  await runChunked(batch.count, TILE_CHUNK, ctx, (start, end) => exactTiles(batch, n, fill, start, end, out));
  return out;
});

registerKernel('greedyTiles', 'reference', async ({ batch, n, fill }, ctx) => {
  const out = new Uint8Array(batch.count * batch.m * batch.m);
  await runChunked(batch.count, TILE_CHUNK, ctx, (start, end) => greedyTiles(batch, n, fill, start, end, out));
  return out;
});

registerKernel('tsenorTiles', 'reference', async ({ batch, n, fill, options }, ctx) => {
  const out = new Uint8Array(batch.count * batch.m * batch.m);
  await runChunked(batch.count, TILE_CHUNK, ctx, (start, end) => tsenorTiles(batch, n, fill, options, start, end, out));
  return out;
});

registerKernel('prox24', 'reference', async ({ z, lambda, out = new Float32Array(z.length) }, ctx) => {
  await runChunked(z.length / 4, TILE_CHUNK * 64, ctx, (start, end) => prox24Groups(z, lambda, start, end, out));
  return out;
});

registerTiledTransposable('reference');

// Linear algebra: the readable kernels, run as they are (small problems and tests).
registerKernel('gemm', 'reference', async ({ a, b, c, shape }) => linalg.gemm(a, b, c, shape));
registerKernel('gram', 'reference', async ({ x, rows, cols, featuresBySamples }) => linalg.gram(x, rows, cols, featuresBySamples));
registerKernel('cholesky', 'reference', async ({ a, n, minPivot }) => linalg.cholesky(a, n, minPivot));
registerKernel('triangularInverse', 'reference', async ({ l, n }) => linalg.triangularInverseLower(l, n));
registerKernel('spdInverse', 'reference', async ({ a, n, minPivot }) => linalg.spdInverse(a, n, minPivot));
registerKernel('obsBlock', 'reference', async ({ w, rows, width, u, n, m }) => {
  const weights = w.slice(0, rows * width);
  const mask = new Uint8Array(rows * width);
  const err = new Float32Array(rows * width);
  obsBlockRows(weights, width, u, n, m, 0, rows, mask, err);
  return { weights, mask, err };
});
registerKernel('obsSweep', 'reference', async ({ w, rows, cols, u, n, m, block }, ctx) => obsSweep(w, rows, cols, u, n, m, block, ctx));
registerKernel('refitRows', 'reference', async ({ h, n, mask, rhs, ridge, rows }) => linalg.refitRows(h, n, mask, rhs, ridge, rows));
