// The configuration schema: every key optional, defaults make the demo run with no file at all.
import { z } from 'zod';
import cron from 'node-cron';
import { DURATION_PATTERN, formatDuration, isoTimeMs, parseDuration } from './duration.js';
import { expressionProblem, IDENTIFIER_PATTERN, QUALIFIED_TABLE_PATTERN } from './identifiers.js';

const identifier = z.string().regex(IDENTIFIER_PATTERN, 'must be an identifier: a letter or _ then letters, digits or _ (at most 63)');

/** A source table: `table` (in the connection's database) or `database.table`. */
const tableName = z.string().regex(QUALIFIED_TABLE_PATTERN, 'must be a table name, optionally with its database: scoring_events or payments.auth_log');

/**
 * A source column: its name, or a ClickHouse expression over the table's columns (`status = 'APPROVED'`). The
 * engine's parser checks an expression when a session opens (src/store/sources.ts); here only what would let
 * it escape its parentheses is refused.
 */
const columnMapping = z.string().superRefine((text, ctx) => {
  const problem = text.trim() === '' ? 'name a column or write an expression' : expressionProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** An optional source column: as above, or null to switch off what needs it. */
const optionalColumn = (name: string) => columnMapping.nullable().default(name);

/** A duration such as `24h` or `7d`, parsed to milliseconds. */
const duration = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration like 30m, 24h, 7d or 2w')
  .transform((text) => parseDuration(text) as number);

const isoTime = z.string().refine((text) => isoTimeMs(text) !== undefined, 'must be an ISO 8601 time like 2026-11-20T00:00:00Z (a real date)');

/** A window is either a length before `--at` or fixed dates. */
const windowSpec = z.union([
  duration,
  z.strictObject({ from: isoTime, to: isoTime }).refine((w) => Date.parse(w.from) < Date.parse(w.to), 'from must be before to'),
]);

/** Several current windows: lengths before `--at`, shortest first, e.g. [15m, 1h, 6h, 24h]. */
const windowSet = z
  .array(duration)
  .min(1, 'list at least one window, e.g. [1h, 24h]')
  .refine((lengths) => lengths.every((ms, i) => i === 0 || ms > (lengths[i - 1] as number)), 'list the windows shortest first, each once, e.g. [15m, 1h, 6h, 24h]');

/**
 * The windows fit together: each current window within the reference's length, and the authorisation outcome's
 * maturity shorter than the reference (a chargeback's may be longer: its monitors judge only where it matured).
 */
function checkWindows(w: { current: unknown; reference: unknown; maturity?: unknown }, ctx: z.RefinementCtx): void {
  if (typeof w.reference !== 'number') return;
  const reference = w.reference;
  const lengths = Array.isArray(w.current) ? (w.current as number[]) : typeof w.current === 'number' ? [w.current] : [];
  lengths.forEach((ms, i) => {
    if (ms > reference) ctx.addIssue({ code: 'custom', path: Array.isArray(w.current) ? ['current', i] : ['current'], message: `a current window of ${formatDuration(ms)} is longer than the reference window (${formatDuration(reference)})` });
  });
  const approved = typeof w.maturity === 'number' ? w.maturity : (w.maturity as { approved?: number } | undefined)?.approved;
  if (approved !== undefined && approved >= reference) {
    const path = typeof w.maturity === 'number' ? ['maturity'] : ['maturity', 'approved'];
    ctx.addIssue({ code: 'custom', path, message: `a maturity of ${formatDuration(approved)} is not shorter than the reference window (${formatDuration(reference)})` });
  }
}

/** The approved outcome's delay while it cannot be learned yet (too few outcomes): two hours. */
export const DEFAULT_MATURITY_MS = 7_200_000;

/** Where the approved outcome's maturity comes from. */
export type MaturitySource = 'config' | 'learned' | 'default';

const cronExpression = z.string().refine((text) => cron.validate(text), 'must be a cron expression with 5 fields (or 6 with seconds first), e.g. "*/5 * * * *"');

/** A sequential test's settings (approval rate, score drift): on or off, and the lookback its spans start within. */
const sequentialSettings = () =>
  z
    .strictObject({
      enabled: z.boolean().default(true),
      lookback: duration.refine((ms) => ms >= 300_000 && ms <= 86_400_000 && ms % 300_000 === 0, 'must be whole five-minute strips from 5m to 24h, e.g. 6h').default(21_600_000),
    })
    .prefault({});

/** Warning and critical levels of one statistic, warning ≤ critical. */
export const levels = (warning: number, critical: number) =>
  z
    .strictObject({ warning: z.number().nonnegative().default(warning), critical: z.number().nonnegative().default(critical) })
    .prefault({})
    .refine((l) => l.warning <= l.critical, 'warning must not exceed critical');

/**
 * Column mappings of the events table. Required: event_time, transaction_id, model, score (and the segment
 * columns); the others are optional — a column the table lacks (or null) switches off only what needs it
 * (src/store/sources.ts). issuer … currency are the seeded schema's columns: seed and ingest write them, no
 * monitor reads them.
 */
export const eventColumnsSchema = z
  .strictObject({
    event_time: columnMapping.default('event_time'),
    transaction_id: columnMapping.default('transaction_id'),
    model: columnMapping.default('model'),
    model_version: optionalColumn('model_version'),
    variant: optionalColumn('variant'),
    issuer: identifier.default('issuer'),
    region: identifier.default('region'),
    card_network: identifier.default('card_network'),
    merchant_id: identifier.default('merchant_id'),
    amount: identifier.default('amount'),
    currency: identifier.default('currency'),
    score: columnMapping.default('score'),
    decision: optionalColumn('decision'),
    latency_ms: optionalColumn('latency_ms'),
    features: optionalColumn('features'),
  })
  .prefault({});

/** Column mappings of the outcomes table: transaction_id, outcome_time and approved required, chargeback optional. */
export const outcomeColumnsSchema = z
  .strictObject({
    transaction_id: columnMapping.default('transaction_id'),
    outcome_time: columnMapping.default('outcome_time'),
    approved: columnMapping.default('approved'),
    chargeback: optionalColumn('chargeback'),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    store: z
      .strictObject({
        path: z.string().min(1).default('./data'),
        url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
        user: z.string().default('default'),
        /** The connection's database (a server store): where unqualified source tables are. */
        database: identifier.default('default'),
        /** Where driftwatch's own tables live (created if missing); source tables stay where they are. */
        driftwatchDatabase: identifier.default('driftwatch'),
        requestTimeout: duration.default(30_000),
        /**
         * The longest any one statement may run or wait (for a lock, for its mutation) before it fails with a
         * message naming it: a full disk or a stuck mutation must not hang a command. ClickHouse enforces it.
         */
        statementTimeout: duration.refine((ms) => ms > 0, 'must be more than 0s, e.g. 10m').default(600_000),
        retries: z.number().int().min(0).max(10).default(2),
        tls: z.strictObject({ caCert: z.string().optional(), rejectUnauthorized: z.boolean().default(true) }).optional(),
        /**
         * Send distributed_product_mode = 'global' with every statement: a join or IN over a Distributed source runs its
         * subquery once, at the initiator, and ships the result to the shards, right however the sources are sharded.
         * It changes nothing for other tables; false leaves the server's value (src/store/distributed.ts).
         */
        distributed: z.boolean().default(true),
      })
      .prefault({}),
    tables: z
      .strictObject({
        events: tableName.default('scoring_events'),
        outcomes: tableName.default('outcomes'),
        history: identifier.default('driftwatch_metrics'),
      })
      .prefault({}),
    columns: z.strictObject({ events: eventColumnsSchema, outcomes: outcomeColumnsSchema }).prefault({}),
    models: z.array(z.string().min(1)).default([]),
    segments: z.array(identifier).min(1, 'list at least one column').default(['issuer', 'region']),
    /** Features to watch with PSI: keys of the features map, or string-like columns of the events table (categorical). */
    features: z.array(z.string().min(1)).default([]),
    /**
     * Which of `features` are columns of the events table, binned by category (README, "How findings are judged"):
     * filled from the table's schema when a session opens (src/store/sources.ts); library callers may set it.
     */
    featureColumns: z.array(identifier).default([]),
    windows: z
      .strictObject({
        /**
         * One window, fixed dates, or a set of lengths judged together (short ones catch sudden changes). Default:
         * 15m, 1h, 6h and 24h, the multiwindow set of SRE burn-rate alerting.
         */
        current: z.union([windowSpec, windowSet]).default([900_000, 3_600_000, 21_600_000, 86_400_000]),
        reference: windowSpec.default(604_800_000),
        /**
         * When an event without an outcome counts as missing: one delay, or one per outcome column. Without
         * `approved`, its delay is learned from the data (src/aggregates/maturity.ts).
         */
        maturity: z.union([duration, z.strictObject({ approved: duration.optional(), chargeback: duration.optional() })]).optional(),
      })
      .superRefine(checkWindows)
      .transform(({ maturity, ...rest }) => {
        const approved = typeof maturity === 'number' ? maturity : maturity?.approved;
        const chargeback = typeof maturity === 'object' ? maturity.chargeback : undefined;
        return {
          ...rest,
          /** The delay of the authorisation outcome (`approved`), which calibration and approval rate read. */
          maturity: approved ?? DEFAULT_MATURITY_MS,
          /** Per outcome column: the configured delays, `approved` as in `maturity`. */
          maturities: { approved: approved ?? DEFAULT_MATURITY_MS, ...(chargeback !== undefined ? { chargeback } : {}) },
          /** Where `maturity` comes from: the config, the data (once learned), or the default until it is. */
          maturitySource: (approved !== undefined ? 'config' : 'default') as MaturitySource,
        };
      })
      .prefault({}),
    minVolume: z.number().int().positive().default(200),
    schedule: cronExpression.default('*/5 * * * *'),
    monitors: z
      .strictObject({
        psi: z
          .strictObject({
            enabled: z.boolean().default(true),
            bins: z.number().int().min(2).max(100).default(10),
            edges: z.array(z.number()).min(1).optional(),
            epsilon: z.number().positive().max(0.1).default(1e-4),
            /** A categorical feature's bins: its most frequent values in the reference, up to this many; the rest count as "other". */
            maxCategories: z.number().int().min(1).max(1000).default(30),
            thresholds: levels(0.1, 0.25),
            /** The score's sequential test for sudden drift (src/monitors/psi/sequential.ts): spans of the last `lookback`. */
            sequential: sequentialSettings(),
          })
          .prefault({}),
        calibration: z
          .strictObject({
            enabled: z.boolean().default(true),
            bins: z.number().int().min(2).max(100).default(10),
            thresholds: levels(0.03, 0.06),
          })
          .prefault({}),
        approval_rate: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** Absolute change in a segment's approval rate, in proportion (0.05 = 5 percentage points). */
            thresholds: levels(0.03, 0.08),
            /** The part of a whole model's approval-rate change caused by traffic moving between segments. */
            mix: levels(0.02, 0.05),
            /** The sequential test for sudden changes (src/monitors/approval/sequential.ts): spans of the last `lookback`. */
            sequential: sequentialSettings(),
          })
          .prefault({}),
        shadow: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** Significance level of the tests behind a verdict (DeLong's for AUC, McNemar's for a segment's approvals). */
            alpha: z.number().gt(0).max(0.5).default(0.01),
            /** Matured, labeled transactions scored by both, and of the rarer outcome, before a verdict other than hold. */
            minLabeled: z.number().int().min(2).default(1000),
            minMinority: z.number().int().min(2).default(50),
            /** The AUC margin: shadow − live significantly below −this rejects, significantly above +this promotes (one-sided bounds, docs/architecture.md "Shadow verdicts"). */
            minAucDelta: z.number().nonnegative().default(0.005),
            /** Non-inferiority margin of AUC: the one-sided lower bound of shadow − live (at the day-of-looks critical value for alpha) must exceed −this. */
            nonInferiorityMargin: z.number().nonnegative().default(0.005),
            /** Shadow ECE above live's by more than this (and more than twice the ECEs' sampling noise) rejects. */
            maxEceIncrease: z.number().nonnegative().default(0.02),
            /** Shadow p99 latency above this multiple of live's rejects (the latency budget). */
            maxLatencyRatio: z.number().min(1).default(1.25),
            /** A non-inferior shadow with p99 latency at or below this multiple of live's is promoted for speed. */
            fasterLatencyRatio: z.number().gt(0).max(1).default(0.9),
            /** A segment is worse under the shadow when, with enough volume, its AUC or approval rate drops this much. */
            segments: z
              .strictObject({
                minLabeled: z.number().int().min(2).default(1000),
                minMinority: z.number().int().min(2).default(50),
                aucDrop: z.number().nonnegative().default(0.02),
                /** Drop in the share of approve decisions, in proportion (0.02 = 2 percentage points). */
                approvalDrop: z.number().nonnegative().default(0.02),
              })
              .prefault({}),
          })
          .prefault({}),
        quality: z
          .strictObject({
            enabled: z.boolean().default(true),
            badScoreRate: levels(0.001, 0.01),
            missingOutcomeRate: levels(0.05, 0.2),
            duplicateRate: levels(0.001, 0.01),
            /** Current volume below this fraction of the reference's hourly average is a volume drop. */
            volumeDrop: levels(0.5, 0.8),
          })
          .prefault({}),
      })
      // A monitor that brings its own settings (src/monitors/<name>/) is checked by the registry: see checkMonitorSettings.
      .catchall(z.unknown())
      .prefault({}),
    alerts: z
      .strictObject({
        /** Consecutive cycles a finding must be critical before its alert fires (Alertmanager's `for`). */
        for: z.number().int().min(1).default(1),
        /** Consecutive clean cycles (below warning) before a firing alert resolves. */
        resolveAfter: z.number().int().min(1).default(2),
        /** How often a still-firing alert group is re-announced. */
        repeatInterval: duration.default(14_400_000),
        /** Base URL of Grafana, for links to the segment drill-down (empty: no links). */
        grafanaUrl: z.string().default(''),
        /** Runbook linked from every alert. */
        runbookUrl: z.string().default('https://github.com/driftwatch/driftwatch/blob/main/alerts/RUNBOOK.md'),
        silences: z
          .array(
            z.strictObject({
              /** Every key must match: monitor, model, feature, or a segment column; values are exact or /regex/. */
              matchers: z.record(z.string(), z.string()),
              expires: isoTime,
              comment: z.string().default(''),
            }),
          )
          .default([]),
      })
      .prefault({}),
    history: z.strictObject({ ttl: duration.default(7_776_000_000) }).prefault({}),
    daemon: z
      .strictObject({
        /**
         * Several daemons on one server store: the leader's lease lasts this long without renewal (renewed every
         * third of it), so a standby takes over within lease + lease/3 of the leader's last renewal (src/lease.ts).
         */
        lease: duration.refine((ms) => ms >= 3_000 && ms <= 600_000, 'must be from 3s to 10m, e.g. 30s').default(30_000),
      })
      .prefault({}),
    /** False-discovery rate across all tests of a cycle (Benjamini–Hochberg). */
    fdr: z.number().gt(0).max(1).default(0.01),
    sinks: z
      .strictObject({
        prometheus: z
          .strictObject({
            port: z.number().int().min(0).max(65535).default(9464),
            host: z.string().default('127.0.0.1'),
            maxSeries: z.number().int().positive().default(2000),
          })
          .prefault({}),
        slack: z
          .strictObject({
            channel: z.string().min(1).default('#payments-oncall'),
            apiUrl: z.url().default('https://slack.com/api/'),
          })
          .prefault({}),
        email: z
          .strictObject({
            to: z.array(z.email()).default(['ml-team@example.com']),
            from: z.email().default('driftwatch@example.com'),
            schedule: cronExpression.default('0 8 * * 1'),
            /** What the report covers: the seven days ending at its time, or the last complete ISO week. */
            period: z.enum(['rolling', 'iso-week']).default('rolling'),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .prefault({});

/** Configuration as written by the user (before defaults). */
export type ConfigInput = z.input<typeof configSchema>;
/** Validated configuration with every default filled in. */
export type Config = z.output<typeof configSchema>;
export type EventColumns = Config['columns']['events'];
export type OutcomeColumns = Config['columns']['outcomes'];
/** One window: a length before `--at`, or fixed dates. */
export type WindowSpec = Config['windows']['reference'];
