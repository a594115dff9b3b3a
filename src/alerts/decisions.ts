// A verdict's lifecycle, whatever it judges (a shadow, an experiment): the verdicts recorded per subject, and a message when one changes.
import { quoteIdentifier, type Config } from '../config/index.js';
import { chTime, tableRef, type Store } from '../store/index.js';
import type { AnyNotification, NotificationQueue } from './types.js';

/** What is judged and how it is kept: the table, the columns naming a subject (after `model`), the verdict's words. */
export interface DecisionKind<V> {
  table: string;
  /** Label of the statements (logs and errors). */
  label: string;
  /** Columns after `model` that name one subject, e.g. `shadow_version`, or `control` and `treatment`. */
  keyColumns: readonly string[];
  key(v: V): { model: string; values: string[] };
  verdict(v: V): string;
  reasons(v: V): readonly string[];
  notify(change: DecisionChange<V>): AnyNotification;
}

/** A verdict that differs from the one recorded before it; `previous` is absent for a subject seen the first time. */
export interface DecisionChange<V> {
  previous?: string;
  /** When the previous verdict was recorded. */
  previousAt?: Date;
  verdict: V;
  at: Date;
}

/**
 * Every recorded verdict (one row per subject per cycle, a few hundred a day), kept as long as the history: a plain
 * MergeTree, not a replacing one, so the verdict before any cycle time stays readable and recording one cycle again
 * gives the same answer.
 */
export function decisionsDdl(spec: Pick<DecisionKind<never>, 'table' | 'keyColumns'>, config: Config): string {
  const ttlSeconds = Math.max(1, Math.round(config.history.ttl / 1000));
  const keys = spec.keyColumns.map((c) => `  ${quoteIdentifier(c)} String,\n`).join('');
  const order = ['model', ...spec.keyColumns, 'at'].map(quoteIdentifier).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, spec.table)} (
  model          String,
${keys}  verdict        LowCardinality(String),
  reasons        Array(String),
  at             DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (${order})
TTL toDateTime(at) + INTERVAL ${ttlSeconds} SECOND`;
}

const subjectOf = (model: string, values: readonly string[]) => JSON.stringify([model, ...values]);

/**
 * This cycle's verdicts that differ from the latest one recorded before `at` (a new subject counts as changed);
 * reads only. Only rows before `at` count as previous, so asking again for the same cycle (a retried daemon cycle)
 * gives the same changes rather than losing them.
 */
export async function decisionChanges<V>(store: Store, config: Config, kind: DecisionKind<V>, verdicts: readonly V[], at: Date): Promise<DecisionChange<V>[]> {
  if (verdicts.length === 0) return [];
  const keys = kind.keyColumns.map(quoteIdentifier);
  const last = await store.select<Record<string, string>>(
    `SELECT model, ${keys.map((k) => `${k} AS ${k}`).join(', ')}, argMax(verdict, at) AS verdict, toString(max(at)) AS recorded_at
     FROM ${tableRef(config, kind.table)}
     WHERE at < {at:DateTime64(3, 'UTC')}
     GROUP BY model, ${keys.join(', ')}`,
    { at: chTime(at) },
    `load ${kind.label}`,
  );
  const previous = new Map(last.map((row) => [subjectOf(row.model as string, kind.keyColumns.map((c) => row[c] as string)), row]));
  return verdicts.flatMap((verdict): DecisionChange<V>[] => {
    const { model, values } = kind.key(verdict);
    const before = previous.get(subjectOf(model, values));
    if (before?.verdict === kind.verdict(verdict)) return [];
    return [
      {
        ...(before ? { previous: before.verdict as string, previousAt: new Date(`${(before.recorded_at as string).replace(' ', 'T')}Z`) } : {}),
        verdict,
        at,
      },
    ];
  });
}

/** Appends this cycle's verdicts: what the next cycle's changes are measured against. */
export async function saveDecisions<V>(store: Store, config: Config, kind: DecisionKind<V>, verdicts: readonly V[], at: Date): Promise<void> {
  if (verdicts.length === 0) return;
  await store.insert(
    tableRef(config, kind.table),
    verdicts.map((v) => {
      const { model, values } = kind.key(v);
      return { model, ...Object.fromEntries(kind.keyColumns.map((c, i) => [c, values[i] ?? ''])), verdict: kind.verdict(v), reasons: kind.reasons(v), at: chTime(at) };
    }),
    `save ${kind.label}`,
  );
}

/**
 * The daemon's side of verdicts: one message per verdict that changed since the previous cycle (a new subject
 * included). Changes are queued before the cycle's verdicts are written, so a crash or a failed write repeats a
 * message rather than losing one; a cycle retried at the same time is the same outbox item (its id is
 * deterministic). Verdicts whose write failed are written before the next comparison, or that cycle would
 * announce the same changes again.
 */
export class DecisionTracker<V> {
  private readonly unsaved: { verdicts: readonly V[]; at: Date }[] = [];

  private constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly kind: DecisionKind<V>,
    private readonly queue: NotificationQueue,
  ) {}

  static async open<V>(store: Store, config: Config, kind: DecisionKind<V>, queue: NotificationQueue): Promise<DecisionTracker<V>> {
    await store.command(decisionsDdl(kind, config), {}, `${kind.label} schema`);
    return new DecisionTracker(store, config, kind, queue);
  }

  /** Queues a message per changed verdict of this cycle and holds the verdicts for `save`; returns the changes. */
  async queueChanges(verdicts: readonly V[], at: Date): Promise<DecisionChange<V>[]> {
    await this.save();
    const changes = await decisionChanges(this.store, this.config, this.kind, verdicts, at);
    if (changes.length > 0) await this.queue.enqueue(changes.map((c) => this.kind.notify(c)));
    this.unsaved.push({ verdicts, at });
    return changes;
  }

  /** Writes the held verdicts, oldest first; on failure they stay held for the next cycle. */
  async save(): Promise<void> {
    for (let next = this.unsaved[0]; next; next = this.unsaved[0]) {
      await saveDecisions(this.store, this.config, this.kind, next.verdicts, next.at);
      this.unsaved.shift();
    }
  }
}
