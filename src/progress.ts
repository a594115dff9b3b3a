// A one-line progress display on stderr for long commands (seed, ingest, backfills); silent when stderr is not a terminal.

/** Where progress is drawn: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Draw or not (default: whether the stream is a terminal). Logs and pipes get no control characters. */
  isTTY?: boolean;
  /** What is counted: `rows` (default), `steps`, or `bytes` (shown as kB/MB/GB). */
  unit?: 'rows' | 'steps' | 'bytes';
  /** Fewest milliseconds between redraws (default 200: about five a second, cheap and still lively). */
  intervalMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export interface Progress {
  update(done: number): void;
  /** Clears the line; further updates draw nothing. */
  done(): void;
}

/** Erases from the cursor to the end of the line, so a shorter line leaves no tail of the previous one. */
const CLEAR_LINE = '\x1b[K';

export function createProgress(label: string, total?: number, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const enabled = opts.isTTY ?? Boolean(stream.isTTY);
  const now = opts.now ?? (() => performance.now());
  const interval = opts.intervalMs ?? 200;
  const format = opts.unit === 'bytes' ? formatBytes : formatCount;
  const suffix = opts.unit === 'bytes' ? '' : ` ${opts.unit ?? 'rows'}`;
  const started = now();
  let lastDraw = -Infinity;
  let drawn = false;
  let finished = false;

  return {
    update(done) {
      if (!enabled || finished) return;
      const t = now();
      if (t - lastDraw < interval) return;
      lastDraw = t;
      const line = progressLine(label, done, total, (t - started) / 1000, format, suffix);
      // A line wider than the terminal wraps, and `\r` then redraws only its last part.
      const width = stream.columns ?? 0;
      stream.write(`\r${width > 1 ? line.slice(0, width - 1) : line}${CLEAR_LINE}`);
      drawn = true;
    },
    done() {
      if (finished) return;
      finished = true;
      if (drawn) stream.write(`\r${CLEAR_LINE}`);
    },
  };
}

/** `ingest  1,234,567 / 10,000,000 rows  412,300 rows/s  ETA 21s`. */
export function progressLine(label: string, done: number, total: number | undefined, seconds: number, format: (n: number) => string = formatCount, suffix = ' rows'): string {
  const parts = [label, total === undefined ? `${format(done)}${suffix}` : `${format(done)} / ${format(total)}${suffix}`];
  if (seconds > 0 && done > 0) {
    const rate = done / seconds;
    parts.push(`${format(rate)}${suffix}/s`);
    if (total !== undefined && total >= done) parts.push(`ETA ${formatDuration((total - done) / rate)}`);
  }
  return parts.join('  ');
}

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** `21s`, `3m05s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
