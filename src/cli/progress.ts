import { displayText } from '../core/text.js';

/** Where progress goes: normally process.stderr. */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * 'bar': one line redrawn in place, on a terminal only; 'off' with --quiet or --json and off a
 * terminal, so that logs and pipes get nothing on stderr but errors (at most one line).
 */
export type ProgressMode = 'bar' | 'off';

export function progressMode(sink: ProgressSink, quiet: boolean): ProgressMode {
  return !quiet && sink.isTTY === true ? 'bar' : 'off';
}

/** Seconds as 1h02m, 3m05s or 12s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A count per second with a metric prefix: 12.3 M/s. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '–';
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, unit] of units) if (perSecond >= scale) return `${(perSecond / scale).toFixed(1)} ${unit}`;
  return perSecond.toFixed(0);
}

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

/**
 * Progress over a run of tensors, weighted by elements: tensors done, elements per second and the
 * ETA, on one line redrawn in place at most every 100 ms. Tensor names are escaped (core/text.ts).
 */
export class ProgressReporter {
  private tensorsDone = 0;
  private elementsDone = 0;
  private current = { name: '', elements: 0, fraction: 0 };
  private readonly start: number;
  private lastDraw = -Infinity;

  constructor(
    private readonly totalTensors: number,
    private readonly totalElements: number,
    private readonly mode: ProgressMode,
    private readonly sink: ProgressSink,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = now();
  }

  startTensor(name: string, elements: number): void {
    this.current = { name, elements, fraction: 0 };
    this.draw(true);
  }

  /** The share (0..1) of the current tensor that is done. */
  advance(fraction: number): void {
    this.current.fraction = Math.min(1, Math.max(0, fraction));
    this.draw(false);
  }

  finishTensor(): void {
    this.tensorsDone++;
    this.elementsDone += this.current.elements;
    this.current = { name: this.current.name, elements: 0, fraction: 0 };
    this.draw(true);
  }

  /** Clears the bar so that what follows starts on a clean line. */
  close(): void {
    if (this.mode === 'bar') this.sink.write('\r\x1b[K');
  }

  private status(): string {
    const elapsed = (this.now() - this.start) / 1000;
    const done = this.elementsDone + this.current.elements * this.current.fraction;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = done > 0 ? (this.totalElements - done) / rate : Infinity;
    const parts = [
      `${this.tensorsDone}/${this.totalTensors} tensors`,
      `${formatRate(rate)} elem/s`,
      this.tensorsDone === this.totalTensors ? `${formatDuration(elapsed)} total` : `ETA ${formatDuration(eta)}`,
    ];
    const filled = this.totalElements > 0 ? Math.round((BAR_WIDTH * done) / this.totalElements) : BAR_WIDTH;
    return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${parts.join('  ')}  ${displayText(this.current.name, 60)}`;
  }

  private draw(force: boolean): void {
    if (this.mode !== 'bar') return;
    const t = this.now();
    if (!force && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    const width = Math.max(20, (this.sink.columns ?? 100) - 1);
    this.sink.write(`\r${this.status().slice(0, width)}\x1b[K`);
  }
}

/** Makes reporters for a run: on `sink` when it is a terminal and the run is not quiet. */
export function progressFor(sink: ProgressSink, quiet: boolean): (tensors: number, elements: number) => ProgressReporter {
  const mode = progressMode(sink, quiet);
  return (tensors, elements) => new ProgressReporter(tensors, elements, mode, sink);
}
