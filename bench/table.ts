import type { CaseRow } from './results.js';

function significant(x: number, digits = 3): string {
  if (x === 0) return '0';
  if (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

/** A gap as a percentage with 3 significant digits ('0' when it is exactly 0). */
export function percent(gap: number | undefined): string {
  if (gap === undefined) return '–';
  return gap === 0 ? '0' : `${significant(gap * 100)}%`;
}

function nativeCell(row: CaseRow): string {
  if (!row.native || row.native.length === 0) return '–';
  return row.native.map((r) => `${r.method} ${significant(r.seconds)}`).join(', ');
}

function extraCell(row: CaseRow): string {
  const extra = row.measured?.extra;
  if (!extra) return '';
  return Object.entries(extra)
    .map(([key, value]) => `${key} ${significant(value)}`)
    .join(', ');
}

function ratioCell(row: CaseRow): string {
  if (row.nativeRatio === undefined) return '–';
  const ratio = `${significant(row.nativeRatio)}×`;
  return row.nativeAgrees === false ? `${ratio} (objectives differ!)` : ratio;
}

const HEADER = [
  'case',
  'backend',
  'median s',
  'samples',
  'throughput',
  'gap',
  'peak RSS MiB',
  '×reference',
  'native s',
  '÷native',
];

/** The results as a Markdown table (paste-ready for docs/benchmarks.md); skipped and failed rows say why. */
export function formatTable(rows: readonly CaseRow[]): string {
  const withNotes = rows.some((row) => row.measured?.extra);
  const header = withNotes ? [...HEADER, 'notes'] : HEADER;
  const lines = [header, header.map(() => '---')];
  for (const row of rows) {
    const m = row.measured;
    const cells = m
      ? [
          significant(m.medianSeconds),
          String(m.samples),
          `${significant(m.throughput)} ${m.throughputUnit}`,
          percent(m.gap),
          `${Math.round(m.peakRssMiB)} (before ${Math.round(m.baselineRssMiB)}, input ${significant(m.inputMiB)})`,
          row.speedupOverReference === undefined ? '–' : `${significant(row.speedupOverReference)}×`,
          nativeCell(row),
          ratioCell(row),
        ]
      : [`${row.status} (${row.reason ?? 'no reason given'})`, ...HEADER.slice(3).map(() => '–')];
    const line = [row.case.id, row.case.backend, ...cells];
    lines.push(withNotes ? [...line, extraCell(row)] : line);
  }
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
