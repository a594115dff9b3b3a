// Keeps the rollup current before a cycle: folds new and newly matured hours, re-folds changed ones, rebuilds on config change.
import { loadFeatureEdges } from '../aggregates/feature-edges.js';
import { HOUR_MS, ceilHour, floorHour, orphanLookbackMs } from '../aggregates/pieces.js';
import type { FeatureEdges } from '../aggregates/types.js';
import { PAIR_SPAN_MS } from '../aggregates/shadow-pairs.js';
import type { Config } from '../config/index.js';
import type { CycleWindows } from '../core/types.js';
import { resolveWindows } from '../core/windows.js';
import { silentLogger, type Logger } from '../log.js';
import { type Store } from '../store/index.js';
import { changedEventHours, movedOrphanHours, newOutcomeHours, orphanHoursOf, rowsPerHour, highestBlock, touchedEventHours } from './detect.js';
import { eventsFingerprint, featuresFingerprint, labelsFingerprint, orphansFingerprint, ROLLUP_KINDS, shadowFingerprint, type RollupKind } from './fingerprint.js';
import { foldHours } from './fold.js';
import { dropKind, forgetHours, saveMarks, saveSweep, staleKinds, sweepSuperseded, type Ledger } from './ledger.js';
import { RollupState } from './state.js';

export interface RefreshSummary {
  /** Hours folded for the first time, per kind. */
  folded: Record<RollupKind, number>;
  /** Folded hours folded again because their source rows changed. */
  refolded: Record<RollupKind, number>;
  /** Kinds dropped and rebuilt because their config fingerprint changed. */
  rebuilt: RollupKind[];
  seconds: number;
}

export interface RefreshOptions {
  logger?: Logger;
  /** Fold hours from here on even if the windows start later (backfill for reports over older periods). */
  since?: Date;
  /**
   * The process's rollup state (the daemon's, run --once's): its ledger snapshot and fold versions follow this
   * refresh's writes, so the cycle's reads after it share one snapshot. Without one, a throwaway state.
   */
  state?: RollupState;
}

/** How often superseded rollup rows are swept (by whichever process refreshes then: a daemon or a run --once). */
const SWEEP_EVERY_MS = HOUR_MS;

/** The earliest hour any of a cycle's windows reads (fixed windows included), floored to the hour. */
function firstHour(w: CycleWindows, since?: Date): number {
  const starts = [w.reference.from, w.current.from, w.matured.reference.from, w.matured.current.from].map((d) => d.getTime());
  return floorHour(Math.min(...starts, since?.getTime() ?? Infinity));
}

/** Hours in [from, to) not in the ledger. */
function missing(ledger: Ledger, from: number, to: number): number[] {
  const out: number[] = [];
  for (let h = from; h < to; h += HOUR_MS) if (!ledger.has(h)) out.push(h);
  return out;
}

function storedEdges(edges: FeatureEdges[], config: Config): FeatureEdges[] {
  return edges.filter((e) => config.features.includes(e.feature) && (e.edges.length > 0 || e.categories.length > 0));
}

/**
 * Brings the rollup up to date as of `at`; call it before each cycle (daemon and `run --once`). Complete
 * hours are folded into the event rollup, matured hours (hour end + maturity ≤ at) into the label rollup;
 * hours whose raw rows changed since their fold (late events, a backfilled day, late outcomes within the
 * maturity delay) are folded again. Cost: the new hours plus the touched ones, never the whole window,
 * except on a cold start, which backfills in chunks of about a million rows.
 */
export async function refreshRollup(store: Store, config: Config, at: Date, options: RefreshOptions = {}): Promise<RefreshSummary> {
  const t0 = performance.now();
  const logger = options.logger ?? silentLogger;
  const state = options.state ?? new RollupState();
  await state.ensureTables(store, config);
  const edges = config.features.length > 0 ? storedEdges(await loadFeatureEdges(store, config), config) : [];
  const fingerprints: Record<RollupKind, string> = {
    events: eventsFingerprint(config),
    labels: labelsFingerprint(config),
    features: featuresFingerprint(config, edges),
    orphans: orphansFingerprint(config),
    shadow: shadowFingerprint(config),
  };
  const none = () => Object.fromEntries(ROLLUP_KINDS.map((kind) => [kind, 0])) as Record<RollupKind, number>;
  const summary: RefreshSummary = { folded: none(), refolded: none(), rebuilt: [], seconds: 0 };
  let snapshot = await state.ledgers(store, config, true);
  const stale = staleKinds(snapshot, fingerprints);
  for (const kind of stale) {
    logger.info({ kind }, 'rollup config changed: rebuilding');
    await dropKind(store, config, state, kind);
    summary.rebuilt.push(kind);
  }
  if (stale.length > 0) snapshot = await state.ledgers(store, config, true);

  // Snapshot first: rows inserted while folding carry higher blocks and are looked at next time. Sources numbered by
  // the state's registry (Distributed, Replicated: src/rollup/detect.ts) keep their marks in the state, not the ledger.
  const [eventListing, outcomeListing] = await Promise.all([state.listParts(store, config.tables.events), state.listParts(store, config.tables.outcomes)]);
  const { parts: eventParts } = eventListing;
  const { parts: outcomeParts } = outcomeListing;
  const eventMark = eventListing.ordered ? snapshot.marks.events : state.partMarks.events;
  const outcomeMark = outcomeListing.ordered ? snapshot.marks.outcomes : state.partMarks.outcomes;
  const ledgers = Object.fromEntries(ROLLUP_KINDS.map((kind) => [kind, snapshot.ledger(kind, fingerprints[kind])])) as Record<RollupKind, Ledger>;

  const changed = ledgers.events.size > 0 ? await changedEventHours(store, config, eventParts, eventMark, ledgers.events) : [];
  const outcomes = ledgers.labels.size > 0 || ledgers.orphans.size > 0 || ledgers.shadow.size > 0 ? await newOutcomeHours(store, config, outcomeParts, outcomeMark, async () => (await state.listParts(store, config.tables.outcomes)).parts) : { hours: [], mark: highestBlock(outcomeParts, outcomeMark), parts: [] };

  const windows = resolveWindows(config, at);
  const from = firstHour(windows, options.since);
  // A new outcome relabels its event's hour however late it came: the folded label hours inside the windows
  // holding a transaction of a new outcome part are folded again.
  const freshOutcomeParts = outcomes.parts;
  const labelHours = [...new Set([...ledgers.labels.keys(), ...ledgers.shadow.keys()])];
  const lateLabels = await touchedEventHours(store, config, freshOutcomeParts, labelHours.filter((h) => h >= from));
  // An outcome hour's orphans change with its own outcomes, with the events that can match them, and when one of
  // its orphans gets a later outcome.
  const lateOrphans = [
    ...outcomes.hours,
    ...orphanHoursOf(changed, orphanLookbackMs(config.windows.maturity)),
    ...(await movedOrphanHours(store, config, freshOutcomeParts, ledgers.orphans)),
  ];
  // Folded label hours before the windows are not checked against these outcomes, so they are forgotten.
  if (freshOutcomeParts.length > 0 && labelHours.some((h) => h < from)) {
    await forgetHours(store, config, state, ['labels', 'shadow'], from);
    for (const kind of ['labels', 'shadow'] as const) for (const h of [...ledgers[kind].keys()]) if (h < from) ledgers[kind].delete(h);
  }
  const completeTo = floorHour(at.getTime());
  const maturedTo = floorHour(at.getTime() - config.windows.maturity);
  const perHour = rowsPerHour(eventParts);
  const refold = (kind: RollupKind, extra: number[] = [], own: number[] = changed) => [...new Set([...own, ...extra])].filter((h) => ledgers[kind].has(h));
  // Orphans are counted over the current window's complete outcome hours only (AggregateSource.orphanOutcomes).
  const orphansFrom = ceilHour(windows.current.from.getTime());
  // Shadow pairs are read over the current and matured current windows only; a pair's rows are within an hour of
  // each other, so a changed hour touches the pairs of its neighbours too.
  const shadowFrom = floorHour(Math.min(windows.current.from.getTime(), windows.matured.current.from.getTime(), options.since?.getTime() ?? Infinity));
  const shadowTo = shadowFoldedTo(at.getTime(), config.windows.maturity);
  const pairHours = changed.flatMap((h) => [h - HOUR_MS, h, h + HOUR_MS]);
  const plan: { kind: RollupKind; fresh: number[]; again: number[] }[] = [
    { kind: 'events', fresh: missing(ledgers.events, from, completeTo), again: refold('events') },
    { kind: 'labels', fresh: missing(ledgers.labels, from, maturedTo), again: refold('labels', lateLabels) },
    { kind: 'features', fresh: edges.length > 0 ? missing(ledgers.features, from, completeTo) : [], again: edges.length > 0 ? refold('features') : [] },
    { kind: 'orphans', fresh: missing(ledgers.orphans, orphansFrom, completeTo), again: refold('orphans', lateOrphans, []) },
    { kind: 'shadow', fresh: config.monitors.shadow.enabled ? missing(ledgers.shadow, shadowFrom, shadowTo) : [], again: refold('shadow', lateLabels, pairHours) },
  ];
  const base = (kind: RollupKind) => ({ kind, fingerprint: fingerprints[kind], rowsPerHour: perHour, edges });
  // Changed hours are found by comparing source row counts with the events ledger's: the events kind is re-folded
  // last, so a process killed part-way leaves its ledger behind and the next refresh re-folds every kind again.
  for (const { kind, again } of [...plan.filter((p) => p.kind !== 'events'), ...plan.filter((p) => p.kind === 'events')]) {
    summary.refolded[kind] = await foldHours(store, config, state, { ...base(kind), hours: again, refold: true }, logger);
  }
  for (const { kind, fresh } of plan) summary.folded[kind] = await foldHours(store, config, state, { ...base(kind), hours: fresh, refold: false }, logger);
  const marks = { events: highestBlock(eventParts, eventMark), outcomes: outcomes.mark };
  await saveMarks(store, config, state, { events: eventListing.ordered ? marks.events : snapshot.marks.events, outcomes: outcomeListing.ordered ? marks.outcomes : snapshot.marks.outcomes });
  state.partMarks = { events: eventListing.ordered ? state.partMarks.events : marks.events, outcomes: outcomeListing.ordered ? state.partMarks.outcomes : marks.outcomes };
  if (Date.now() - snapshot.sweptAt >= SWEEP_EVERY_MS) {
    const now = await state.ledgers(store, config, true);
    for (const kind of ROLLUP_KINDS) await sweepSuperseded(store, config, kind, now.ledger(kind, fingerprints[kind]));
    await saveSweep(store, config, state, Date.now());
  }
  summary.seconds = (performance.now() - t0) / 1000;
  logger.debug({ ...summary }, 'rollup refreshed');
  return summary;
}

/**
 * The end of the shadow hours a refresh as of `atMs` folds: matured hours whose pairs are whole, i.e. whose next
 * hour is over too (a shadow row comes up to an hour after its live row). With a maturity under an hour, a matured
 * hour waits for that.
 */
export function shadowFoldedTo(atMs: number, maturity: number): number {
  return Math.min(floorHour(atMs - maturity), floorHour(atMs) - PAIR_SPAN_MS);
}

/** `driftwatch rollup --rebuild`: drops every rollup kind and folds afresh as of `at`. */
export async function rebuildRollup(store: Store, config: Config, at: Date, options: RefreshOptions = {}): Promise<RefreshSummary> {
  const state = options.state ?? new RollupState();
  await dropRollup(store, config, state);
  return refreshRollup(store, config, at, { ...options, state });
}

/** Empties every rollup kind: the next refresh is a cold start. */
export async function dropRollup(store: Store, config: Config, state: RollupState = new RollupState()): Promise<void> {
  await state.ensureTables(store, config);
  for (const kind of ROLLUP_KINDS) await dropKind(store, config, state, kind);
}
