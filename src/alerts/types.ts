// Alert engine vocabulary: an alert's tracked state, the view receivers get, and the notifications receivers deliver.
import type { ExperimentVerdictKind, Segment, Severity, ShadowVerdictKind } from '../core/types.js';
import type { IncidentInfo } from './incident.js';

/**
 * `pending`: critical, but not yet for `alerts.for` consecutive cycles. `firing`: announced (unless silenced).
 * `resolved`: a firing alert that came back below warning (or stopped being evaluated). `inactive`: a pending
 * alert that never fired (kept only so the table tells the whole story).
 */
export type AlertState = 'pending' | 'firing' | 'resolved' | 'inactive';

/** One occurrence of an alert: a key from its first critical cycle (`since`) until it resolves. */
export interface Alert {
  /** monitor + model + segment (sorted keys) + feature: see `alertKey`. */
  key: string;
  /**
   * The incident (model × segment) or roll-up (model × a segment column's value) the alert is announced with:
   * alerts of one group share one thread (alerts/incident.ts). Fixed once the alert is announced.
   */
  groupKey: string;
  monitor: string;
  model: string;
  segment: Segment;
  feature: string;
  /** Part of the identity for a shadow's alerts: two shadows of one model alert apart. */
  shadowVersion?: string;
  /** The current window of the latest evaluation (when several are judged): not part of the identity. */
  window?: string;
  state: AlertState;
  /** Severity of the key's latest evaluation: a firing alert stays firing at warning (hysteresis). */
  severity: Severity;
  value: number;
  threshold: number;
  nCurrent: number;
  nReference: number;
  pValue?: number;
  qValue?: number;
  details?: object;
  /** Consecutive critical cycles while pending. */
  criticalCount: number;
  /** Consecutive cycles below warning while firing. */
  cleanCount: number;
  /** First critical cycle of this occurrence; with `key` it identifies the occurrence. */
  since: Date;
  firingSince?: Date;
  resolvedAt?: Date;
  resolveReason?: string;
  /** Last cycle that evaluated the key: an alert unevaluated for too long resolves. */
  lastEvaluated: Date;
  /** Whether the group's current announcement includes this alert (false while silenced and never announced). */
  notified: boolean;
  lastNotified?: Date;
  /** When the group's current announcement began: receivers thread messages by group key + episode. */
  groupEpisode?: Date;
  silenced: boolean;
}

/** What a receiver needs to describe one alert: the alert without the engine's bookkeeping. */
export type AlertView = Pick<
  Alert,
  | 'key' | 'monitor' | 'model' | 'segment' | 'feature' | 'shadowVersion' | 'window' | 'state' | 'severity' | 'value' | 'threshold' | 'nCurrent' | 'nReference'
  | 'pValue' | 'qValue' | 'details' | 'since' | 'firingSince' | 'resolvedAt' | 'resolveReason'
> & {
  /** Fired (or came out of a silence) in this notification's cycle. */
  isNew: boolean;
};

export type NotificationKind = 'firing' | 'evidence' | 'update' | 'resolved' | 'repeat';

/**
 * One message about one group (an incident or a roll-up) in one cycle. `firing` opens a group's announcement
 * with its headline, and `evidence` follows it in its thread with every alert's numbers; `update` adds or
 * resolves alerts in it, `repeat` re-announces it after `alerts.repeatInterval`, `resolved` closes it.
 */
export interface Notification {
  groupKey: string;
  model: string;
  /** The monitor of the group's first alert (an incident may span several: see `incident`). */
  monitor: string;
  kind: NotificationKind;
  /** What the group is: its likely kind, segment or shared value (absent in messages queued by older versions). */
  incident?: IncidentInfo;
  /** Every firing, unsilenced alert of the group, new ones first, then the largest breaches. */
  alerts: AlertView[];
  /** Alerts of the group that resolved in this cycle. */
  resolved: AlertView[];
  /**
   * Segments of the group at warning in this cycle that have no alert: context only. A warning never pages,
   * so it creates no alert; it is shown so on-call sees a breach spreading before it turns critical.
   */
  warnings: AlertView[];
  /**
   * An incident's evidence only: the segment's other judged values that stayed below warning, e.g. an unmoved PSI
   * beside an approval drop (what tells an issuer's outage from drift).
   */
  steady?: AlertView[];
  /** Start of the group's current announcement (`at` of its `firing` notification): the thread to post into. */
  episode: Date;
  /** The cycle's time. */
  at: Date;
}

/** The numbers behind a shadow verdict that its message shows; each only when known (and finite). */
export interface VerdictFigures {
  aucLive?: number;
  aucShadow?: number;
  /** Shadow − live. */
  deltaAuc?: number;
  /** DeLong's test of deltaAuc. */
  pValue?: number;
  nLabeled?: number;
  latencyP99Live?: number;
  latencyP99Shadow?: number;
  /** Approve decisions the shadow adds (negative: removes), per 100 transactions both scored. */
  expectedApprovalChangePp?: number;
  /** Share of transactions both scored with the same decision. */
  agreement?: number;
  nMatched?: number;
}

/**
 * A shadow's verdict changed since the previous cycle (or the shadow was judged for the first time). Not an
 * alert: it has no lifecycle and is announced as it happens, through the same outbox and receivers.
 */
export interface VerdictNotification {
  kind: 'verdict';
  /** Identifies the shadow (`verdictKey`): its messages share one thread. */
  groupKey: string;
  model: string;
  shadowVersion: string;
  /** Absent the first time the shadow is judged. */
  previous?: ShadowVerdictKind;
  verdict: ShadowVerdictKind;
  /** The verdict's reasons in plain words; they may quote segment values (user data). */
  reasons: string[];
  figures: VerdictFigures;
  /** The cycle's time. */
  at: Date;
}

/** The numbers an experiment's message shows; each only when known (and finite). */
export interface ExperimentFigures {
  approvalLift?: number;
  lo?: number;
  hi?: number;
  approvalRateControl?: number;
  approvalRateTreatment?: number;
  labeledControl?: number;
  labeledTreatment?: number;
  srmPValue?: number;
}

/** An experiment's verdict changed since the previous cycle, or a new experiment was found: announced as it happens. */
export interface ExperimentNotification {
  kind: 'experiment';
  /** Identifies the experiment (`experimentKey`): its messages share one thread. */
  groupKey: string;
  model: string;
  control: string;
  treatment: string;
  /** Absent the first time the experiment is judged: a new experiment. */
  previous?: ExperimentVerdictKind;
  verdict: ExperimentVerdictKind;
  /** The verdict's reasons in plain words; they may quote segment values (user data). */
  reasons: string[];
  figures: ExperimentFigures;
  /** The cycle's time. */
  at: Date;
}

/** A decision announced as it happens, outside the alert lifecycle: it threads by subject and always broadcasts. */
export type DecisionNotification = VerdictNotification | ExperimentNotification;

export const isDecision = (n: AnyNotification): n is DecisionNotification => n.kind === 'verdict' || n.kind === 'experiment';

/** Whatever the outbox queues and a receiver delivers. */
export type AnyNotification = Notification | DecisionNotification;

/** An alert as the weekly report sees it: when it fired and for how long. */
export type AlertRecord = AlertView & {
  /** The group (incident or roll-up) it was announced in, and that announcement's start: one Slack thread. */
  groupKey: string;
  groupEpisode?: Date;
  from: Date;
  /** When it resolved; null while still firing. */
  to: Date | null;
  /** From firing to resolution, or to the end of the asked range while still firing. */
  durationMs: number;
};

/** Where notifications go before the engine commits its state (the outbox): see `AlertEngine.observe`. */
export interface NotificationQueue {
  enqueue(notifications: readonly AnyNotification[]): Promise<unknown>;
}

export interface FiringCount {
  monitor: string;
  severity: 'warning' | 'critical';
  count: number;
}
