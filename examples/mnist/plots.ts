/**
 * The report's plots as SVG, specified in Vega-Lite, compiled to Vega and rendered headless in Node
 * (vega's View with renderer 'none' and toSVG: no browser, no canvas).
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ExperimentResult } from './experiment.js';

async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The standard/transposable legend: dashed line samples (vega-lite would draw them without a stroke). */
const DASH_LEGEND = {
  symbolType: 'stroke',
  symbolSize: 300,
  encode: { symbols: { update: { stroke: { value: '#444' }, strokeWidth: { value: 2 } } } },
};

/** Rows run with the exact mask solver, in the table's pattern order. */
function mainRows(result: ExperimentResult) {
  return result.rows.filter((r) => !r.transposable || r.maskSolver === 'exact');
}

const patternOrder = (result: ExperimentResult): string[] => result.config.patterns.map(([n, m]) => `${n}:${m}`);

/** Test accuracy against the pattern: one panel per sparsity, colour = method, dashes = transposable. */
export function accuracyPlot(result: ExperimentResult): Promise<string> {
  const values = mainRows(result).flatMap((r) => [
    { pattern: r.pattern, sparsity: `${Math.round(100 * r.sparsity)}% sparse`, method: r.method, kind: r.transposable ? 'transposable' : 'standard', stage: 'after pruning', accuracy: 100 * r.accuracy },
    { pattern: r.pattern, sparsity: `${Math.round(100 * r.sparsity)}% sparse`, method: r.method, kind: r.transposable ? 'transposable' : 'standard', stage: 'after fine-tune', accuracy: 100 * r.fineTunedAccuracy },
  ]);
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Test accuracy (dense ${(100 * result.denseAccuracy).toFixed(2)}%)`,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      column: { field: 'sparsity', type: 'nominal', title: null },
      row: { field: 'stage', type: 'nominal', title: null, sort: ['after pruning', 'after fine-tune'] },
      x: { field: 'pattern', type: 'ordinal', sort: patternOrder(result), title: 'N:M' },
      y: { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy (%)' },
      color: { field: 'method', type: 'nominal' },
      strokeDash: { field: 'kind', type: 'nominal', title: 'pattern', legend: DASH_LEGEND },
    },
    resolve: { scale: { x: 'independent' } },
    width: 260,
    height: 200,
  });
}

/** Relative loss of each hidden layer against the pattern (log scale), as accuracyPlot. */
export function layerLossPlot(result: ExperimentResult): Promise<string> {
  const values = mainRows(result).flatMap((r) =>
    r.relativeLosses.map((loss, l) => ({
      pattern: r.pattern,
      sparsity: `${Math.round(100 * r.sparsity)}% sparse`,
      layer: `hidden layer ${l + 1}`,
      method: r.method,
      kind: r.transposable ? 'transposable' : 'standard',
      loss,
    })),
  );
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Relative loss ‖(W − Ŵ)Xᵀ‖² / ‖WXᵀ‖² per hidden layer',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      column: { field: 'sparsity', type: 'nominal', title: null },
      row: { field: 'layer', type: 'nominal', title: null },
      x: { field: 'pattern', type: 'ordinal', sort: patternOrder(result), title: 'N:M' },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'relative loss' },
      color: { field: 'method', type: 'nominal' },
      strokeDash: { field: 'kind', type: 'nominal', title: 'pattern', legend: DASH_LEGEND },
    },
    resolve: { scale: { x: 'independent' } },
    width: 260,
    height: 200,
  });
}
