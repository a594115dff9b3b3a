// Incidents: the alerts of one model × segment told as one story, and segments sharing a value rolled up into one.
import { sortedSegment } from '../core/identity.js';
import type { Segment, SharedShift } from '../core/types.js';
import type { Judged, Signal } from '../monitors/monitor.js';
import { monitorNamed } from '../monitors/registry.js';
import type { Alert } from './types.js';

export type IncidentKind = 'data-quality' | 'issuer-outage' | 'model-degradation' | 'traffic-shift' | 'input-drift' | 'miscalibration' | 'approval-drop' | 'approval-rise' | 'shadow' | 'other';

interface KindRule {
  kind: IncidentKind;
  /** Every one of these signals is present. */
  all?: Signal[];
  /** At least one of these is. */
  any?: Signal[];
  /** None of these is. */
  none?: Signal[];
  title: string;
  /** What the combination usually means, for whoever reads the page first. */
  explain: string;
}

const APPROVAL: Signal[] = ['approval-down', 'approval-up'];

/**
 * The likely kind of an incident from the signals of its alerts, first rule that fits (docs/architecture.md,
 * "Incidents"). The signals come from each monitor's descriptor (`present.signal`), so a monitor added later that
 * says `calibration` joins these rules without a line here.
 */
const KINDS: readonly KindRule[] = [
  { kind: 'data-quality', all: ['data-quality'], title: 'Data quality problem', explain: 'bad scores, duplicates or missing outcomes: what driftwatch judges on this traffic is suspect until the feed is fixed' },
  {
    kind: 'issuer-outage', all: ['approval-down', 'calibration'], none: ['score-shift'], title: 'Issuer-side outage likely',
    explain: 'approvals fell while the scores did not move, and outcomes no longer match the scores: the issuer declines what the model still expects to be approved',
  },
  {
    kind: 'model-degradation', all: ['ranking'], none: APPROVAL, title: 'Model ranks worse',
    explain: 'the live model separates approved from declined payments less well than in the reference while approvals held: its inputs or the issuer behaviour it learned changed (a retrain or a feature pipeline fix is likelier than an outage)',
  },
  {
    kind: 'traffic-shift', all: ['score-shift'], any: APPROVAL, none: ['calibration'], title: 'Traffic changed',
    explain: 'scores and approvals moved together while calibration held: the population changed and the model followed it',
  },
  {
    kind: 'traffic-shift', all: ['score-shift', 'calibration'], any: APPROVAL, title: 'Traffic changed',
    explain: 'scores and approvals moved together and calibration broke: the population changed beyond what the model fits',
  },
  {
    kind: 'input-drift', any: ['score-shift', 'input-shift'], none: [...APPROVAL, 'calibration'], title: 'Input drift',
    explain: 'scores or inputs moved while outcomes did not (yet): check the features and the pipeline upstream',
  },
  { kind: 'miscalibration', all: ['calibration'], none: ['approval-down'], title: 'Calibration broke', explain: 'outcomes no longer match the scores: the model is over- or under-confident here' },
  {
    kind: 'approval-drop', all: ['approval-down'], title: 'Approval rate dropped',
    explain: 'approvals fell without the scores moving: an issuer or routing change is likelier than the model',
  },
  { kind: 'approval-rise', all: ['approval-up'], title: 'Approval rate rose', explain: 'approvals rose without the scores moving: an issuer or routing change is likelier than the model' },
  { kind: 'shadow', all: ['shadow'], title: 'Shadow model diverged', explain: 'the shadow scores these transactions differently from the live model' },
];

/** What kind of incident a group of alerts is, in words; a roll-up says which value its segments share. */
export interface IncidentInfo {
  kind: IncidentKind;
  title: string;
  explain: string;
  /** The incident's segment ({} for the whole model); for a roll-up, the shared value alone, e.g. `{ region: 'APAC' }`. */
  segment: Segment;
  shadowVersion?: string;
  /** A roll-up's numbers: how many segments it holds and the test that made it one. */
  shared?: SharedInfo;
}

export interface SharedInfo {
  column: string;
  value: string;
  /** Segments whose alerts the roll-up announces. */
  members: number;
  /** This cycle's strongest shared-shift test of the value, when it passed in this cycle. */
  test?: Pick<SharedShift, 'monitor' | 'feature' | 'window' | 'segments' | 'atLeast' | 'pValue' | 'qValue'>;
}

function signalOf(a: Judged): Signal | undefined {
  return monitorNamed(a.monitor)?.present.signal(a);
}

/** The first rule the signals fit, or the first alert's own monitor headline. */
export function classify(alerts: readonly Judged[]): Pick<IncidentInfo, 'kind' | 'title' | 'explain'> {
  const signals = new Set(alerts.map(signalOf).filter((s): s is Signal => s !== undefined));
  const fits = (rule: KindRule) =>
    (rule.all ?? []).every((s) => signals.has(s)) && (!rule.any || rule.any.some((s) => signals.has(s))) && !(rule.none ?? []).some((s) => signals.has(s));
  const rule = KINDS.find(fits);
  if (rule) return { kind: rule.kind, title: rule.title, explain: rule.explain };
  const first = alerts[0];
  const headline = first ? (monitorNamed(first.monitor)?.present.headline([first]) ?? `${first.monitor} alert`) : 'Alert';
  return { kind: 'other', title: headline, explain: '' };
}

/** model + segment (+ shadow version), as JSON: every alert of one model × segment is one incident. */
export function incidentKey(a: Pick<Alert, 'model' | 'segment' | 'shadowVersion'>): string {
  return JSON.stringify(['incident', a.model, sortedSegment(a.segment), ...(a.shadowVersion !== undefined ? [a.shadowVersion] : [])]);
}

/** model + segment column + its value: the roll-up of the segments sharing that value. */
export function rollupKey(model: string, column: string, value: string): string {
  return JSON.stringify(['shared', model, column, value]);
}

/** The column and value of a roll-up key; undefined for any other group key. */
export function parseRollupKey(groupKey: string): { model: string; column: string; value: string } | undefined {
  if (!groupKey.startsWith('["shared"')) return undefined;
  const [, model, column, value] = JSON.parse(groupKey) as string[];
  return { model: model as string, column: column as string, value: value as string };
}

interface OpenIncident {
  key: string;
  alerts: Alert[];
  kind: IncidentKind;
}

/** Segments sharing a value join one roll-up only when they are also the same kind of incident. */
const MIN_MEMBERS = 2;

function mostCommon<T>(items: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * Which group (thread) each alert is announced in. An alert already announced stays in its group until it
 * resolves, and an alert of an incident already announced joins it, so keys stay stable for the outbox's threads.
 * The rest form incidents by model × segment; incidents in the segments of a value whose shift this cycle's
 * shared-shift test confirmed (`shared`, monitors/shared.ts) and of that value's most common kind (an announced
 * roll-up's: the kind it was announced as) join one roll-up, when at least two of them would be announced now
 * (firing, not silenced) or the roll-up is already announced. Each value is tried strongest first, and an
 * incident joins one roll-up at most. Returns the same object for an alert whose group did not change.
 */
export function assignGroups(alerts: readonly Alert[], shared: readonly SharedShift[]): Alert[] {
  const active = (a: Alert) => a.state === 'pending' || a.state === 'firing';
  const anchored = new Map<string, string>();
  for (const a of alerts) if (active(a) && a.notified) anchored.set(incidentKey(a), a.groupKey);
  const announcedGroups = new Set(anchored.values());

  const open = new Map<string, OpenIncident>();
  for (const a of alerts) {
    const key = incidentKey(a);
    if (!active(a) || a.notified || anchored.has(key)) continue;
    const incident = open.get(key) ?? { key, alerts: [], kind: 'other' as IncidentKind };
    incident.alerts.push(a);
    open.set(key, incident);
  }
  for (const incident of open.values()) incident.kind = classify(incident.alerts).kind;

  const groupOf = new Map<string, string>(anchored);
  const byValue = new Map<string, SharedShift[]>();
  for (const s of shared) {
    const key = rollupKey(s.model, s.column, s.value);
    byValue.set(key, [...(byValue.get(key) ?? []), s]);
  }
  const rollups = [...byValue].map(([key, shifts]) => {
    const first = shifts[0] as SharedShift;
    const candidates = [...open.values()].filter((incident) => {
      const a = incident.alerts[0] as Alert;
      return a.model === first.model && a.segment[first.column] === first.value && a.shadowVersion === undefined
        && incident.alerts.some((x) => shifts.some((s) => s.monitor === x.monitor && s.feature === x.feature));
    });
    return { key, candidates };
  });
  rollups.sort((a, b) => b.candidates.length - a.candidates.length);
  // An announced roll-up keeps the kind it was announced as: a later outage in the region is not drift.
  const announcedKind = (key: string) => classify(alerts.filter((a) => active(a) && a.notified && a.groupKey === key)).kind;
  // Only what would be announced now counts towards forming one: not pending alerts, not silenced ones.
  const visible = (c: OpenIncident) => c.alerts.some((a) => a.state === 'firing' && !a.silenced);
  for (const { key, candidates } of rollups) {
    const free = candidates.filter((c) => !groupOf.has(c.key));
    const announced = announcedGroups.has(key);
    const kind = announced ? announcedKind(key) : mostCommon(free.filter(visible).map((c) => c.kind));
    const members = free.filter((c) => c.kind === kind);
    if (!announced && members.filter(visible).length < MIN_MEMBERS) continue;
    for (const member of members) groupOf.set(member.key, key);
  }

  return alerts.map((a) => {
    if (!active(a) || a.notified) return a;
    const key = incidentKey(a);
    const groupKey = groupOf.get(key) ?? key;
    return groupKey === a.groupKey ? a : { ...a, groupKey };
  });
}
