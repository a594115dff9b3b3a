// The report's alerts as on-call saw them: one row per incident (or roll-up) announcement, its alerts beneath.
import { classify, parseRollupKey } from '../alerts/incident.js';
import type { AlertRecord } from '../alerts/types.js';
import { segmentText } from './format.js';

export interface IncidentRecord {
  /** The incident's likely kind in words, e.g. `Issuer-side outage likely` (alerts/incident.ts). */
  title: string;
  /** Model and segment, or the shared value and its count for a roll-up. */
  where: string;
  alerts: AlertRecord[];
  /** First alert fired. */
  from: Date;
  /** Last alert resolved; null while any is still firing. */
  to: Date | null;
  durationMs: number;
}

/**
 * Alerts grouped by the thread they were announced in: group key and episode (an incident that resolved and
 * came back is two rows). Alerts stored before incidents existed grouped by model × monitor, and stay so.
 * Still-firing incidents first, then the latest.
 */
export function incidentsOf(alerts: readonly AlertRecord[]): IncidentRecord[] {
  const groups = new Map<string, AlertRecord[]>();
  for (const a of alerts) {
    const key = `${a.groupKey}#${a.groupEpisode?.toISOString() ?? a.from.toISOString()}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  return [...groups.values()]
    .map((members): IncidentRecord => {
      const first = members[0] as AlertRecord;
      const from = new Date(Math.min(...members.map((a) => a.from.getTime())));
      const open = members.some((a) => a.to === null);
      const to = open ? null : new Date(Math.max(...members.map((a) => (a.to as Date).getTime())));
      const end = Math.max(...members.map((a) => a.from.getTime() + a.durationMs));
      return { title: classify(members).title, where: whereOf(first, members), alerts: members, from, to, durationMs: Math.max(0, end - from.getTime()) };
    })
    .sort((a, b) => Number(a.to !== null) - Number(b.to !== null) || b.from.getTime() - a.from.getTime());
}

function whereOf(first: AlertRecord, members: readonly AlertRecord[]): string {
  const model = first.model || 'all models';
  const rollup = parseRollupKey(first.groupKey);
  if (rollup) {
    const segments = new Set(members.map((a) => JSON.stringify(a.segment))).size;
    return `${model} · ${rollup.column} ${rollup.value} · ${segments} segment${segments === 1 ? '' : 's'}`;
  }
  return `${model} · ${segmentText(first.segment)}${first.shadowVersion !== undefined ? ` · shadow ${first.shadowVersion}` : ''}`;
}
