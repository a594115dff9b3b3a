// What a verdict message says (a shadow's, an experiment's), independent of markup: the subject, its verdict and the one before, the numbers, the reasons.
import type { ExperimentFigures, ExperimentNotification, VerdictFigures, VerdictNotification } from '../../alerts/types.js';
import type { Config } from '../../config/index.js';
import { pp } from '../../core/format.js';
import { formatNumber, formatPValue, grafanaLink, type Line, type Span } from './message.js';

export interface VerdictMessage {
  /** e.g. `🟢 Shadow v42 of card-auth: hold → promote`; the version and the model are user data. */
  title: Line;
  /** The numbers behind the verdict on one line: AUC, latency, approvals, agreement. */
  summary: Line;
  /** The verdict's reasons, each user data (they quote segment values). */
  reasons: Line[];
  moreReasons: number;
  /** The shadow-vs-live dashboard of this shadow; absent without grafanaUrl. */
  url?: string;
}

/** Reasons listed; the verdict's first reasons are the deciding ones, the rest context. */
export const MAX_REASONS = 8;
/** A reason is our sentence with a few segment values in it: longer than one value, still bounded. */
const MAX_REASON_LENGTH = 400;

const VERDICT_EMOJI = { promote: '🟢', hold: '🟡', reject: '🔴' } as const;

const signed = (x: number, digits: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
const ms = (x: number) => `${formatNumber(x)} ms`;

function title(n: VerdictNotification): Line {
  const shadow: Line = [{ value: n.shadowVersion, max: 60 }, ' of ', { value: n.model, max: 60 }];
  if (!n.previous) return [`${VERDICT_EMOJI[n.verdict]} New shadow `, ...shadow, ': ', { bold: n.verdict }];
  return [`${VERDICT_EMOJI[n.verdict]} Shadow `, ...shadow, `: ${n.previous} → `, { bold: n.verdict }];
}

/** Each number only when known: a shadow without matured outcomes yet has latency and agreement but no AUC. */
function summary(f: VerdictFigures): Line {
  const parts: Line[] = [];
  if (f.deltaAuc !== undefined) {
    const detail = [
      f.aucShadow !== undefined && f.aucLive !== undefined ? `${f.aucShadow.toFixed(3)} vs ${f.aucLive.toFixed(3)} live` : '',
      f.pValue !== undefined ? `p = ${formatPValue(f.pValue)}` : '',
      f.nLabeled !== undefined ? `${formatNumber(f.nLabeled)} matured outcomes` : '',
    ].filter(Boolean);
    parts.push([{ bold: 'AUC' }, ` ${signed(f.deltaAuc, 3)}${detail.length > 0 ? ` (${detail.join(', ')})` : ''}`]);
  }
  if (f.latencyP99Shadow !== undefined && f.latencyP99Live !== undefined) {
    parts.push([{ bold: 'latency p99' }, ` ${ms(f.latencyP99Shadow)} vs ${ms(f.latencyP99Live)} live`]);
  }
  if (f.expectedApprovalChangePp !== undefined) parts.push([{ bold: 'approvals' }, ` ${signed(f.expectedApprovalChangePp, 1)} pp`]);
  if (f.agreement !== undefined) {
    parts.push([{ bold: 'agreement' }, ` ${(100 * f.agreement).toFixed(1)} %${f.nMatched !== undefined ? ` of ${formatNumber(f.nMatched)} transactions` : ''}`]);
  }
  return joined(parts, 'no figures yet');
}

/** Parts of a summary line joined by ` · `, or `none` when there are none. */
function joined(parts: Line[], none: string): Line {
  if (parts.length === 0) return [none];
  return parts.flatMap((part, i): Span[] => [...(i > 0 ? [' · '] : []), ...part]);
}

/** A verdict message: the reasons capped (MAX_REASONS, each MAX_REASON_LENGTH), the link when there is one. */
function verdictMessage(title: Line, summary: Line, reasons: readonly string[], url: string | undefined): VerdictMessage {
  const message: VerdictMessage = {
    title,
    summary,
    reasons: reasons.slice(0, MAX_REASONS).map((reason) => [{ value: reason, max: MAX_REASON_LENGTH }]),
    moreReasons: Math.max(0, reasons.length - MAX_REASONS),
  };
  return url ? { ...message, url } : message;
}

export function describeVerdict(n: VerdictNotification, config: Config): VerdictMessage {
  const url = grafanaLink(config, 'driftwatch-shadow/shadow-vs-live', [['model', n.model], ['shadow_version', n.shadowVersion]]);
  return verdictMessage(title(n), summary(n.figures), n.reasons, url);
}

const EXPERIMENT_EMOJI = { ship: '🟢', continue: '🟡', rollback: '🔴' } as const;

function experimentTitle(n: ExperimentNotification): Line {
  const arms: Line = [{ value: n.treatment, max: 60 }, ' against ', { value: n.control, max: 60 }, ' of ', { value: n.model, max: 60 }];
  if (!n.previous) return [`${EXPERIMENT_EMOJI[n.verdict]} New experiment: `, ...arms, ': ', { bold: n.verdict }];
  return [`${EXPERIMENT_EMOJI[n.verdict]} Experiment `, ...arms, `: ${n.previous} → `, { bold: n.verdict }];
}

/** The lift with its interval and the arms' rates; the allocation's test when a split is declared. */
function experimentSummary(f: ExperimentFigures): Line {
  const parts: Line[] = [];
  if (f.approvalLift !== undefined) {
    const bounds = f.lo !== undefined && f.hi !== undefined ? ` [${pp(f.lo)}, ${pp(f.hi)}]` : '';
    const rates =
      f.approvalRateTreatment !== undefined && f.approvalRateControl !== undefined
        ? ` (${(100 * f.approvalRateTreatment).toFixed(1)} % vs ${(100 * f.approvalRateControl).toFixed(1)} %${f.labeledTreatment !== undefined && f.labeledControl !== undefined ? ` on ${formatNumber(f.labeledTreatment)} and ${formatNumber(f.labeledControl)} matured outcomes` : ''})`
        : '';
    parts.push([{ bold: 'approvals' }, ` ${pp(f.approvalLift)}${bounds}${rates}`]);
  }
  if (f.srmPValue !== undefined) parts.push([{ bold: 'allocation' }, ` p = ${formatPValue(f.srmPValue)}`]);
  return joined(parts, 'no matured outcomes yet');
}

export function describeExperiment(n: ExperimentNotification, config: Config): VerdictMessage {
  const url = grafanaLink(config, 'driftwatch-shadow/shadow-vs-live', [['model', n.model]]);
  return verdictMessage(experimentTitle(n), experimentSummary(n.figures), n.reasons, url);
}
