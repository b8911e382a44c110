/**
 * The one table formatter of the CLI: columns padded to their widest cell, text columns left-aligned
 * and numbers right-aligned, two spaces apart, trailing space trimmed. Every cell goes through
 * displayText, so a tensor name with newlines or ANSI escapes cannot break the table or the terminal.
 */
import { displayText } from '../core/text.js';

export interface Column {
  readonly header: string;
  readonly align: 'left' | 'right';
}

/** Cells longer than this are cut (tensor names can be any length). */
const MAX_CELL = 80;

export interface TableStyle {
  /** Put before every line (default two spaces). */
  readonly indent?: string;
  /** A line of dashes under the header. */
  readonly rule?: boolean;
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], style: TableStyle = {}): string[] {
  const { indent = '  ', rule = false } = style;
  const cells = rows.map((row) => columns.map((_, i) => displayText(row[i] ?? '', MAX_CELL)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (row: readonly string[]) =>
    indent +
    row
      .map((cell, i) => (columns[i]?.align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const header = [line(columns.map((c) => c.header))];
  if (rule) header.push(indent + widths.map((w) => '-'.repeat(w)).join('  '));
  return [...header, ...cells.map(line)];
}

/** Shorthands for column lists: left('name'), right('seconds'). */
export const left = (header: string): Column => ({ header, align: 'left' });
export const right = (header: string): Column => ({ header, align: 'right' });

/** A relative gap as a percentage with enough digits to tell 0 from tiny. */
export function formatGap(gap: number): string {
  return gap === 0 ? '0%' : `${(gap * 100).toPrecision(3)}%`;
}

/** A tensor shape as 16×32 ('scalar' for rank 0). */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}
