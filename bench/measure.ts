// Timing and memory helpers of the benchmark: medians of repeated runs, and the process's peak RSS per step.
import { readFileSync, writeFileSync } from 'node:fs';

export interface Step {
  seconds: number[];
  /** Peak resident set of the process during the step's runs (engine included), in MB. */
  peakRssMb: number;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** VmHWM, the peak RSS since the last reset, in MB; the process's lifetime peak where /proc is missing. */
function highWaterMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Resets VmHWM (Linux: "5" to clear_refs), so each step reports its own peak and not the data generation's. */
function resetHighWater(): void {
  (globalThis as { gc?: () => void }).gc?.();
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // the peak then covers the whole process so far
  }
}

/** Runs `once` `runs` times (each after `before`, untimed), timing each run and the step's peak RSS. */
export async function measure(runs: number, once: (run: number) => Promise<unknown>, before?: (run: number) => Promise<unknown>): Promise<Step> {
  resetHighWater();
  const seconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    await before?.(run);
    const t0 = performance.now();
    await once(run);
    seconds.push((performance.now() - t0) / 1000);
  }
  return { seconds, peakRssMb: Math.round(highWaterMb()) };
}
