// Fills an empty week of history (a fresh install) by running a cycle at the end of each of its days.
import type { Config } from '../config/index.js';
import { runCycle } from '../cycle.js';
import { silentLogger, type Logger } from '../log.js';
import type { TimeWindow } from '../core/types.js';
import { writeHistory } from '../sinks/history.js';
import type { Store } from '../store/index.js';

const DAY_MS = 86_400_000;

/**
 * Seven cycles, each as of a day's end, give the report daily PSI points, shadow verdicts and quality
 * judgements without the daemon's history. They are ordinary cycles (`run --once` writes the same rows), so
 * Grafana sees them too; the cycle id is derived from the time, so a second backfill of the same day is
 * deduplicated by the history table's insert token instead of doubling its rows. Alert state is not touched.
 * Cost: seven cycles, each one join over its windows (seconds at the default volume, minutes at 10M events a day).
 */
export async function backfillWeek(store: Store, config: Config, week: TimeWindow, logger: Logger = silentLogger): Promise<Date[]> {
  const ats: Date[] = [];
  for (let t = week.from.getTime() + DAY_MS; t <= week.to.getTime(); t += DAY_MS) ats.push(new Date(t));
  for (const at of ats) {
    const result = await runCycle(store, config, { at, logger });
    await writeHistory(store, config, result, backfillCycleId(at));
    logger.info({ at: at.toISOString(), evaluations: result.evaluations.length }, 'report: backfilled a day of history');
  }
  return ats;
}

export function backfillCycleId(at: Date): string {
  return `report-backfill-${at.toISOString()}`;
}
