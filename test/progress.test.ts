import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, progressLine, type ProgressStream } from '../src/progress.js';

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { output: string[] } {
  const output: string[] = [];
  return { isTTY, columns, output, write: (text: string) => output.push(text) };
}

/** A clock that moves only when told, so throttling is tested without waiting. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('progressLine', () => {
  it('shows done, total, rate and ETA', () => {
    expect(progressLine('ingest', 1_000_000, 10_000_000, 2)).toBe('ingest  1,000,000 / 10,000,000 rows  500,000 rows/s  ETA 18s');
  });

  it('leaves out the ETA without a total, and the rate before any time has passed', () => {
    expect(progressLine('seed', 1234, undefined, 1)).toBe('seed  1,234 rows  1,234 rows/s');
    expect(progressLine('seed', 0, 100, 0)).toBe('seed  0 / 100 rows');
  });

  it('formats durations', () => {
    expect(formatDuration(21)).toBe('21s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
  });
});

describe('createProgress', () => {
  it('prints nothing when the stream is not a terminal', () => {
    const stream = fakeStream(false);
    const progress = createProgress('ingest', 100, { stream });
    progress.update(10);
    progress.update(100);
    progress.done();
    expect(stream.output).toEqual([]);
  });

  it('redraws one line on a terminal and clears it at the end', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress('ingest', 10_000_000, { stream, now: clock.now });
    clock.advance(2000);
    progress.update(1_000_000);
    expect(stream.output).toEqual(['\r' + 'ingest  1,000,000 / 10,000,000 rows  500,000 rows/s  ETA 18s' + '\x1b[K']);
    progress.done();
    expect(stream.output.at(-1)).toBe('\r\x1b[K');
    progress.update(2_000_000);
    expect(stream.output).toHaveLength(2);
  });

  it('redraws at most once per interval', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress('seed', undefined, { stream, now: clock.now, intervalMs: 200 });
    clock.advance(1);
    for (let i = 1; i <= 10; i++) progress.update(i);
    expect(stream.output).toHaveLength(1);
    clock.advance(200);
    progress.update(11);
    expect(stream.output).toHaveLength(2);
    expect(stream.output[1]).toContain('seed  11 rows');
  });

  it('obeys a forced isTTY over the stream, counts bytes, and fits the terminal width', () => {
    const stream = fakeStream(false, 20);
    const clock = fakeClock();
    const progress = createProgress('ingest', 2_000_000, { stream, isTTY: true, unit: 'bytes', now: clock.now });
    clock.advance(1000);
    progress.update(1_500_000);
    expect(stream.output[0]).toBe('\r' + 'ingest  1.5 MB / 2.0 MB  1.5 MB/s  ETA 1s'.slice(0, 19) + '\x1b[K');
    const silent = fakeStream(true);
    createProgress('x', 1, { stream: silent, isTTY: false }).update(1);
    expect(silent.output).toEqual([]);
  });

  it('clears nothing when nothing was drawn', () => {
    const stream = fakeStream(true);
    createProgress('ingest', 1, { stream }).done();
    expect(stream.output).toEqual([]);
  });
});
