// Grouping: the alerts of one model × monitor become at most one notification per cycle.
import type { Evaluation } from '../core/types.js';
import { alertKey, sortedSegment } from './key.js';
import type { Alert, AlertView, Notification, NotificationKind } from './types.js';

/** Warnings shown as context in one message; more would bury the alerts themselves. */
const MAX_WARNINGS = 20;

export function toView(alert: Alert, isNew = false): AlertView {
  const { key, monitor, model, segment, feature, state, severity, value, threshold, nCurrent, nReference } = alert;
  const view: AlertView = { key, monitor, model, segment, feature, state, severity, value, threshold, nCurrent, nReference, since: alert.since, isNew };
  if (alert.shadowVersion !== undefined) view.shadowVersion = alert.shadowVersion;
  if (alert.window !== undefined) view.window = alert.window;
  if (alert.pValue !== undefined) view.pValue = alert.pValue;
  if (alert.qValue !== undefined) view.qValue = alert.qValue;
  if (alert.details !== undefined) view.details = alert.details;
  if (alert.firingSince) view.firingSince = alert.firingSince;
  if (alert.resolvedAt) view.resolvedAt = alert.resolvedAt;
  if (alert.resolveReason) view.resolveReason = alert.resolveReason;
  return view;
}

/** How far past its threshold a value is: the order on-call should read alerts in. */
function breach(v: { value: number; threshold: number }): number {
  return v.threshold === 0 ? Math.abs(v.value) : Math.abs(v.value) / Math.abs(v.threshold);
}

function byUrgency(a: AlertView, b: AlertView): number {
  return Number(b.isNew) - Number(a.isNew) || Number(b.severity === 'critical') - Number(a.severity === 'critical') || breach(b) - breach(a);
}

/** An evaluation shown beside alerts without being one (a warning, or a value that did not move). */
export function evaluationView(e: Evaluation): AlertView {
  const alert: Alert = {
    key: alertKey(e), groupKey: '', monitor: e.monitor, model: e.model, segment: sortedSegment(e.segment), feature: e.feature,
    ...(e.shadowVersion !== undefined ? { shadowVersion: e.shadowVersion } : {}),
    ...(e.window !== undefined ? { window: e.window } : {}),
    state: 'pending', severity: e.severity, value: e.value, threshold: e.threshold, nCurrent: e.nCurrent, nReference: e.nReference,
    pValue: e.pValue, qValue: e.qValue, details: e.details, criticalCount: 0, cleanCount: 0, since: new Date(0), lastEvaluated: new Date(0),
    notified: false, silenced: false,
  };
  return toView(alert);
}

export interface GroupInput {
  groupKey: string;
  /** The group's alerts after this cycle's step: active ones and those that resolved in this cycle. */
  alerts: Alert[];
  /** This cycle's warning-level evaluations of the group that have no active alert. */
  warnings: Evaluation[];
  at: Date;
  repeatIntervalMs: number;
}

export interface GroupOutcome {
  notification?: Notification;
  /** The group's alerts with `notified`, `lastNotified` and `groupEpisode` brought up to date. */
  alerts: Alert[];
}

function decideKind(fresh: number, resolved: number, announced: number, repeatDue: boolean): NotificationKind | undefined {
  if (fresh > 0) return announced + resolved > 0 ? 'update' : 'firing';
  if (resolved > 0) return announced > 0 ? 'update' : 'resolved';
  return announced > 0 && repeatDue ? 'repeat' : undefined;
}

/**
 * Decides whether the group says something this cycle, and what. Silenced alerts keep their state but are
 * left out of every list; when a silence expires on a still-firing alert it is announced as new.
 */
export function groupNotification(input: GroupInput): GroupOutcome {
  const { at } = input;
  const justResolved = (a: Alert) => a.state === 'resolved' && a.resolvedAt?.getTime() === at.getTime();
  const visible = input.alerts.filter((a) => a.state === 'firing' && !a.silenced);
  const fresh = visible.filter((a) => !a.notified);
  const announced = visible.filter((a) => a.notified);
  const resolved = input.alerts.filter((a) => justResolved(a) && a.notified && !a.silenced);
  const lastNotified = Math.max(...input.alerts.filter((a) => a.notified).map((a) => a.lastNotified?.getTime() ?? 0), 0);
  const kind = decideKind(fresh.length, resolved.length, announced.length, at.getTime() - lastNotified >= input.repeatIntervalMs);
  if (!kind) return { alerts: input.alerts };

  const first = (visible[0] ?? resolved[0]) as Alert;
  const episode = kind === 'firing' ? at : (input.alerts.find((a) => a.notified && a.groupEpisode)?.groupEpisode ?? at);
  const notification: Notification = {
    groupKey: input.groupKey,
    model: first.model,
    monitor: first.monitor,
    kind,
    alerts: visible.map((a) => toView(a, !a.notified)).sort(byUrgency),
    resolved: resolved.map((a) => toView(a)).sort(byUrgency),
    warnings: input.warnings.map(evaluationView).sort(byUrgency).slice(0, MAX_WARNINGS),
    episode,
    at,
  };
  const closing = kind === 'resolved';
  const alerts = input.alerts.map((a): Alert => {
    // The announcement is over: a silenced alert still firing will be announced afresh when its silence ends.
    if (closing || justResolved(a)) return a.notified ? { ...a, notified: false, lastNotified: at } : a;
    if (a.state === 'firing' && !a.silenced) return { ...a, notified: true, lastNotified: at, groupEpisode: episode };
    return a;
  });
  return { notification, alerts };
}
