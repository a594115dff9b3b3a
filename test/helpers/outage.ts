// An issuer outage in several regions, with clean traffic beside it, and a way to end it: for alert lifecycle tests.
import type { Store } from '../../src/store/index.js';
import { eventRow, outcomeRow, rng } from './rows.js';

const HOUR = 3_600_000;

export interface OutageData {
  /** Writes an outage of `issuer` in `region` into the 24 h before `at` (approvals a third of the score's). */
  addOutage(region: string): Promise<void>;
  /** Re-issues every outage outcome with the approval the score implies: the incident is over. */
  endOutage(): Promise<void>;
}

export async function seedOutage(store: Store, at: Date, issuer: string, regions: string[]): Promise<OutageData> {
  const random = rng(11);
  const outageIds: { id: string; time: Date; score: number }[] = [];
  const write = async (who: string, region: string, fromH: number, toH: number, n: number, approveFactor: number, track: boolean) => {
    const events = [];
    const outcomes = [];
    for (let i = 0; i < n; i++) {
      const time = new Date(at.getTime() - fromH * HOUR + random() * (fromH - toH) * HOUR);
      const score = 0.75 + 0.2 * random();
      const id = `${who}-${region}-${fromH}-${i}-${random().toString(36).slice(2, 8)}`;
      events.push(eventRow({ time, id, issuer: who, region, score }));
      outcomes.push(outcomeRow(id, new Date(time.getTime() + 30_000), random() < score * approveFactor ? 1 : 0));
      if (track) outageIds.push({ id, time, score });
    }
    await store.insert('scoring_events', events);
    await store.insert('outcomes', outcomes);
  };
  for (const region of [...regions, 'LATAM']) await write(issuer, region, 8 * 24, 24, 3000, 1, false);
  await write('BANK A', 'EU', 8 * 24, 24, 3000, 1, false);
  await write('BANK A', 'EU', 24, 0, 700, 1, false);
  for (const region of regions) await write(issuer, region, 24, 0, 700, 1 / 3, true);
  return {
    addOutage: (region) => write(issuer, region, 24, 0, 700, 1 / 3, true),
    async endOutage() {
      // A later outcome for the same transaction replaces the earlier one (ReplacingMergeTree, latest wins).
      await store.insert('outcomes', outageIds.map((o) => outcomeRow(o.id, new Date(o.time.getTime() + 60_000), random() < o.score ? 1 : 0)));
    },
  };
}
