// A/B timing of two checkouts of nmsparse on the same 4096² |Gaussian| matrix, alternating calls so that
// both see the same machine load: exact and greedy 2:4…16:32, tsenor and standard 8:16 on the wasm backend.
// Reports min and median of R calls each and the ratio B/A of the minima, plus whether the objectives
// agree. `--cpu` measures this process's CPU time instead of wall time (robust on a loaded machine;
// run with NMSPARSE_THREADS=1 so that all the work is on this thread).
//
//   node bench/ab-checkouts.mjs /path/to/old-checkout /path/to/new-checkout [reps=5] [--cpu]
//
// AB_ONLY=REGEX runs only the cases whose name matches (e.g. AB_ONLY='greedy|tsenor').
//
// Each checkout must be built (npm run build). Used for "no benchmark slower" checks of refactors.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2).filter((a) => a !== '--cpu');
const cpu = process.argv.includes('--cpu');
const [a, b, reps = '5'] = args;
if (!a || !b) {
  console.error('usage: node bench/ab-checkouts.mjs OLD_CHECKOUT NEW_CHECKOUT [reps] [--cpu]');
  process.exit(2);
}
const load = (dir) => import(pathToFileURL(resolve(dir, 'dist/index.js')).href);
const [A, B] = [await load(a), await load(b)];

/** The seeded |N(0,1)| matrix (LCG + Box–Muller), the same for both checkouts. */
function gaussian(n, seed) {
  let s = seed >>> 0;
  const r = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 4294967296;
  const d = new Float32Array(n * n);
  for (let i = 0; i < d.length; i++) d[i] = Math.abs(Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()));
  return { rows: n, cols: n, data: d };
}

const x = gaussian(4096, 7);
const only = process.env.AB_ONLY ? new RegExp(process.env.AB_ONLY) : undefined;
const cases0 = [
  ...[[2, 4], [4, 8], [8, 16], [16, 32]].map(([n, m]) => ({ name: `exact ${n}:${m}`, method: 'exact', n, m })),
  ...[[2, 4], [4, 8], [8, 16], [16, 32]].map(([n, m]) => ({ name: `greedy ${n}:${m}`, method: 'greedy', n, m })),
  { name: 'tsenor 8:16', method: 'tsenor', n: 8, m: 16 },
  { name: 'standard 8:16', n: 8, m: 16 },
];
const cases = only ? cases0.filter((c) => only.test(c.name)) : cases0;
const call = (lib, c) =>
  c.method
    ? lib.transposableMask(x, { n: c.n, m: c.m, method: c.method, backend: 'wasm' })
    : lib.standardMask(x, { n: c.n, m: c.m, backend: 'wasm' });

async function timed(lib, c) {
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await call(lib, c);
  const dc = process.cpuUsage(c0);
  return { seconds: cpu ? (dc.user + dc.system) / 1e6 : (performance.now() - w0) / 1000, objective: r.objective };
}

const min = (v) => Math.min(...v);
const median = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
console.log(`${cpu ? 'CPU' : 'wall'} seconds, min / median of ${reps}; A = ${a}, B = ${b}`);
for (const c of cases) {
  await call(A, c);
  await call(B, c);
  const ta = [];
  const tb = [];
  let same = true;
  for (let r = 0; r < Number(reps); r++) {
    const ra = await timed(A, c);
    const rb = await timed(B, c);
    ta.push(ra.seconds);
    tb.push(rb.seconds);
    same &&= ra.objective === rb.objective;
  }
  console.log(
    `${c.name.padEnd(14)} A ${min(ta).toFixed(3)} / ${median(ta).toFixed(3)}  B ${min(tb).toFixed(3)} / ${median(tb).toFixed(3)}` +
      `  B/A ${(min(tb) / min(ta)).toFixed(2)}  objectives ${same ? 'equal' : 'DIFFER'}`,
  );
}
process.exit(0);
