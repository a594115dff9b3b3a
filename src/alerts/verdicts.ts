// A shadow verdict's lifecycle: the verdicts recorded per model × shadow version, and an announcement when one changes.
import type { Config } from '../config/index.js';
import { chTime, tableRef, type Store } from '../store/index.js';
import type { ShadowVerdict, ShadowVerdictKind } from '../core/types.js';
import type { NotificationQueue } from './types.js';
import { verdictNotification } from './verdict.js';

export const SHADOW_VERDICTS_TABLE = 'driftwatch_shadow_verdicts';

/** A verdict that differs from the one recorded before it; `previous` is absent for a shadow seen the first time. */
export interface VerdictChange {
  model: string;
  shadowVersion: string;
  previous?: ShadowVerdictKind;
  /** When the previous verdict was recorded. */
  previousAt?: Date;
  verdict: ShadowVerdict;
  at: Date;
}

/**
 * Every recorded verdict (one row per shadow per cycle, a few hundred a day), kept as long as the history:
 * a plain MergeTree, not a replacing one, so the verdict before any cycle time stays readable and recording
 * one cycle again gives the same answer.
 */
export function shadowVerdictsDdl(config: Config): string {
  const ttlSeconds = Math.max(1, Math.round(config.history.ttl / 1000));
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, SHADOW_VERDICTS_TABLE)} (
  model          String,
  shadow_version String,
  verdict        LowCardinality(String),
  reasons        Array(String),
  at             DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (model, shadow_version, at)
TTL toDateTime(at) + INTERVAL ${ttlSeconds} SECOND`;
}

interface LastRow {
  model: string;
  shadow_version: string;
  verdict: ShadowVerdictKind;
  recorded_at: string;
}

/**
 * This cycle's verdicts that differ from the latest one recorded before `at` (a new shadow counts as changed);
 * reads only. Only rows before `at` count as previous, so asking again for the same cycle (a retried daemon
 * cycle) gives the same changes rather than losing them.
 */
export async function verdictChanges(store: Store, config: Config, verdicts: readonly ShadowVerdict[], at: Date): Promise<VerdictChange[]> {
  if (verdicts.length === 0) return [];
  const last = await store.select<LastRow>(
    `SELECT model, shadow_version, argMax(verdict, at) AS verdict, toString(max(at)) AS recorded_at
     FROM ${tableRef(config, SHADOW_VERDICTS_TABLE)}
     WHERE at < {at:DateTime64(3, 'UTC')}
     GROUP BY model, shadow_version`,
    { at: chTime(at) },
    'load shadow verdicts',
  );
  const previous = new Map(last.map((row) => [JSON.stringify([row.model, row.shadow_version]), row]));
  return verdicts.flatMap((verdict): VerdictChange[] => {
    const before = previous.get(JSON.stringify([verdict.model, verdict.shadowVersion]));
    if (before?.verdict === verdict.verdict) return [];
    return [
      {
        model: verdict.model,
        shadowVersion: verdict.shadowVersion,
        ...(before ? { previous: before.verdict, previousAt: new Date(`${before.recorded_at.replace(' ', 'T')}Z`) } : {}),
        verdict,
        at,
      },
    ];
  });
}

/** Appends this cycle's verdicts: what the next cycle's changes are measured against. */
export async function saveVerdicts(store: Store, config: Config, verdicts: readonly ShadowVerdict[], at: Date): Promise<void> {
  if (verdicts.length === 0) return;
  await store.insert(
    tableRef(config, SHADOW_VERDICTS_TABLE),
    verdicts.map((v) => ({ model: v.model, shadow_version: v.shadowVersion, verdict: v.verdict, reasons: v.reasons, at: chTime(at) })),
    'save shadow verdicts',
  );
}

/**
 * Records this cycle's verdicts and returns those that changed (`verdictChanges`, then `saveVerdicts`). A caller
 * that announces the changes durably should queue them between the two steps instead, so a failed write repeats
 * an announcement rather than losing it. `run --once` must not call it: a one-off run leaves state alone.
 */
export async function recordVerdicts(store: Store, config: Config, verdicts: readonly ShadowVerdict[], at: Date): Promise<VerdictChange[]> {
  const changes = await verdictChanges(store, config, verdicts, at);
  await saveVerdicts(store, config, verdicts, at);
  return changes;
}

/**
 * The daemon's side of verdicts: one message per verdict that changed since the previous cycle (a new shadow
 * included). Changes are queued before the cycle's verdicts are written, so a crash or a failed write repeats a
 * message rather than losing one; a cycle retried at the same time is the same outbox item (its id is
 * deterministic). Verdicts whose write failed are written before the next comparison, or that cycle would
 * announce the same changes again.
 */
export class VerdictTracker {
  private readonly unsaved: { verdicts: readonly ShadowVerdict[]; at: Date }[] = [];

  private constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly queue: NotificationQueue,
  ) {}

  static async open(store: Store, config: Config, queue: NotificationQueue): Promise<VerdictTracker> {
    await store.command(shadowVerdictsDdl(config), {}, 'shadow verdicts schema');
    return new VerdictTracker(store, config, queue);
  }

  /** Queues a message per changed verdict of this cycle and holds the verdicts for `save`; returns the changes. */
  async queueChanges(verdicts: readonly ShadowVerdict[], at: Date): Promise<VerdictChange[]> {
    await this.save();
    const changes = await verdictChanges(this.store, this.config, verdicts, at);
    if (changes.length > 0) await this.queue.enqueue(changes.map(verdictNotification));
    this.unsaved.push({ verdicts, at });
    return changes;
  }

  /** Writes the held verdicts, oldest first; on failure they stay held for the next cycle. */
  async save(): Promise<void> {
    for (let next = this.unsaved[0]; next; next = this.unsaved[0]) {
      await saveVerdicts(this.store, this.config, next.verdicts, next.at);
      this.unsaved.shift();
    }
  }
}
