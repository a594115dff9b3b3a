// One cycle's read seam: a read path (raw tables or rollup) behind AggregateSource, each question answered once per cycle.
import type { Config } from '../config/index.js';
import type { CurrentWindow, TimeWindow } from '../core/types.js';
import type { RollupState } from '../rollup/state.js';
import type { Store } from '../store/index.js';
import { featureEdgesOf } from './feature-edges.js';
import { rawReads } from './raw.js';
import { rollupReads } from './rollup.js';
import type { AggregateSource, ArmSegment, BinnedSegment, HeldOut, Served, LiveVersion, FeatureEdges, LabelCounts, LabelSegment, LabelStrips, PairOfSet, PerformanceSegment, QualityCounts, QualityWindows, ReadPath, ScoreBinOptions, ScoreStrips, ShadowOptions, ShadowSegment, WindowPair, WindowSet } from './types.js';
import { hasVolume, volumeRule } from './volume.js';

/** Just the two windows: a question's key and its read depend on nothing else of what the caller passed. */
const pair = (w: WindowPair): WindowPair => ({ reference: w.reference, current: w.current });

const sameWindow = (a: TimeWindow, b: TimeWindow) => a.from.getTime() === b.from.getTime() && a.to.getTime() === b.to.getTime();

/**
 * The window set a pair belongs to and the pair's place in it: the cycle's current windows (`pick` chooses their
 * plain or matured side) when the pair's current window is one of them, else a set asked before that holds the
 * pair, else the pair alone.
 */
function setOf(pair: WindowPair, windows: Pick<PairOfSet, 'currents' | 'set'>, pick: (w: CurrentWindow) => TimeWindow, asked: Map<string, WindowSet>): { set: WindowSet; index: number } {
  const given = { reference: pair.reference, currents: (windows.set ?? windows.currents ?? []).map(pick) };
  for (const set of [given, ...asked.values()]) {
    if (!sameWindow(set.reference, pair.reference)) continue;
    const index = set.currents.findIndex((w) => sameWindow(w, pair.current));
    if (index < 0) continue;
    if (set === given) asked.set(JSON.stringify(given), given);
    return { set, index };
  }
  return { set: { reference: pair.reference, currents: [pair.current] }, index: 0 };
}

/** labels' rows with the minVolume rule's verdict (LabelSegment.enough); bins are summed only where labels suffice. */
function withVolume(config: Config, reference: TimeWindow, rows: LabelCounts[]): LabelSegment[] {
  const rule = volumeRule(config, reference);
  // The read path's rows are this answer's own: the verdict is set on each (no copy of every segment's row).
  return rows.map((row) => {
    const calibrated = () => row.current.calibration.reduce((sum, bin) => sum + bin.count, 0);
    const rate = hasVolume(rule, row.reference.labeled, row.current.labeled);
    // Hosmer–Lemeshow's χ² is trusted only with a few expected events per bin and class: scores crowd into two or
    // three bins, so a window needs minVolume calibratable events, not the 30 a proportion test does (on 53 events
    // of a clean night, p = 1e-6: a false page, issue 16's clean backtests).
    const segment = row as LabelSegment;
    segment.enough = { rate, calibration: rate && calibrated() >= config.minVolume };
    return segment;
  });
}

/**
 * The source of one cycle. Answers are kept for its life, by question and arguments: calibration and approval
 * share one label read, and the rollup's quality reuses it. Make one per cycle (rawSource, rollupSource); a source
 * kept across cycles would answer from the first.
 */
export class CycleSource implements AggregateSource {
  readonly #answers = new Map<string, Promise<unknown>>();
  /** Window sets asked so far (plain and matured), so a pair asked alone is answered from its set. */
  readonly #sets = new Map<string, WindowSet>();

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly path: ReadPath,
  ) {}

  #ask<T>(question: string, args: unknown[], answer: () => Promise<T>): Promise<T> {
    const key = `${question}:${JSON.stringify(args)}`;
    let answered = this.#answers.get(key) as Promise<T> | undefined;
    if (!answered) {
      answered = answer();
      this.#answers.set(key, answered);
    }
    return answered;
  }

  async models(windows: WindowPair): Promise<string[]> {
    const versions = await this.liveVersions(windows);
    return [...new Set(versions.filter((v) => v.referenceEvents + v.currentEvents > 0).map((v) => v.model))];
  }

  liveVersions(windows: WindowPair): Promise<LiveVersion[]> {
    const w = pair(windows);
    return this.#ask('versions', [w], () => this.path.versions(w));
  }

  arms(span: TimeWindow, models: string[], versions: string[], at: Date): Promise<ArmSegment[]> {
    return this.#ask('arms', [span, models, versions, at], () => this.path.arms(span, models, versions, at));
  }

  served(model: string, version: string, within: TimeWindow): Promise<Served> {
    return this.#ask('served', [model, version, within], () => this.path.served(model, version, within));
  }

  async scoreBins(windows: PairOfSet, models: string[], options: ScoreBinOptions, heldOut: readonly HeldOut[] = []): Promise<BinnedSegment[]> {
    const { set, index } = setOf(windows, windows, (w) => w.current, this.#sets);
    const binning = { bins: options.bins, cellBins: options.cellBins };
    return (await this.#ask('scoreBins', [set, models, binning, heldOut], () => this.path.scoreBins(set, models, binning, heldOut)))[index] ?? [];
  }

  learnFeatureEdges(reference: TimeWindow, models: string[], features: string[]): Promise<FeatureEdges[]> {
    return this.path.learnFeatureEdges(reference, models, features);
  }

  featureEdges(reference: TimeWindow, models: string[], features: string[]): Promise<FeatureEdges[]> {
    const learn = (r: TimeWindow, m: string[], f: string[]) => this.learnFeatureEdges(r, m, f);
    return this.#ask('featureEdges', [reference, models, features], () => featureEdgesOf(this.store, this.config, learn, reference, models, features));
  }

  featureBins(windows: WindowPair, edges: FeatureEdges[]): Promise<BinnedSegment[]> {
    const w = pair(windows);
    return this.#ask('featureBins', [w, edges], () => this.path.featureBins(w, edges));
  }

  async labels(windows: Pick<PairOfSet, 'currents' | 'set'> & { matured: WindowPair }, models: string[], calibrationBins: number, at: Date, heldOut: readonly HeldOut[] = []): Promise<LabelSegment[]> {
    const { set, index } = setOf(windows.matured, windows, (w) => w.matured, this.#sets);
    const answer = this.#ask('labels', [set, models, calibrationBins, at, heldOut], async () => (await this.path.labels(set, models, calibrationBins, at, heldOut)).map((rows) => withVolume(this.config, set.reference, rows)));
    return (await answer)[index] ?? [];
  }

  async performance(windows: Pick<PairOfSet, 'currents' | 'set'> & { matured: WindowPair }, models: string[], at: Date, heldOut: readonly HeldOut[] = []): Promise<PerformanceSegment[]> {
    const { set, index } = setOf(windows.matured, windows, (w) => w.matured, this.#sets);
    return (await this.#ask('performance', [set, models, at, heldOut], () => this.path.performance(set, models, at, heldOut)))[index] ?? [];
  }

  labelStrips(span: TimeWindow, models: string[], at: Date, heldOut: readonly HeldOut[] = []): Promise<LabelStrips[]> {
    return this.#ask('labelStrips', [span, models, at, heldOut], () => this.path.labelStrips(span, models, at, heldOut));
  }

  scoreStrips(span: TimeWindow, models: string[], at: Date, heldOut: readonly HeldOut[] = []): Promise<ScoreStrips[]> {
    return this.#ask('scoreStrips', [span, models, at, heldOut], () => this.path.scoreStrips(span, models, at, heldOut));
  }

  quality(windows: QualityWindows, models: string[], at: Date): Promise<QualityCounts[]> {
    const w: QualityWindows = { ...pair(windows), matured: pair(windows.matured), currents: windows.currents };
    return this.#ask('quality', [w, models, at], () => this.path.quality(w, models, at, this));
  }

  orphanOutcomes(current: TimeWindow): Promise<number> {
    return this.#ask('orphanOutcomes', [current], () => this.path.orphanOutcomes(current));
  }

  shadow(windows: { current: TimeWindow; matured: { current: TimeWindow } }, models: string[], options: ShadowOptions, at: Date): Promise<ShadowSegment[]> {
    const { current } = windows;
    const matured = windows.matured.current;
    const asked: ShadowOptions = { calibrationBins: options.calibrationBins, segmentMinLabeled: options.segmentMinLabeled, segmentMinMinority: options.segmentMinMinority };
    return this.#ask('shadow', [current, matured, models, asked, at], () => this.path.shadow(current, matured, models, asked, at));
  }
}

/**
 * `source` with the drift questions (score bins and strips, labels and their strips, performance) leaving out
 * `heldOut`'s live versions unless asked otherwise: what the cycle hands the monitors while experiments run, so the
 * drift monitors judge the control like for like with the reference (docs/architecture.md, "Experiments"). Every
 * other question, quality's included, sees the whole live traffic.
 */
export function leavingOut(source: AggregateSource, heldOut: readonly HeldOut[]): AggregateSource {
  if (heldOut.length === 0) return source;
  return {
    models: (windows) => source.models(windows),
    liveVersions: (windows) => source.liveVersions(windows),
    arms: (span, models, versions, at) => source.arms(span, models, versions, at),
    served: (model, version, within) => source.served(model, version, within),
    learnFeatureEdges: (reference, models, features) => source.learnFeatureEdges(reference, models, features),
    featureEdges: (reference, models, features) => source.featureEdges(reference, models, features),
    featureBins: (windows, edges) => source.featureBins(windows, edges),
    quality: (windows, models, at) => source.quality(windows, models, at),
    orphanOutcomes: (current) => source.orphanOutcomes(current),
    shadow: (windows, models, options, at) => source.shadow(windows, models, options, at),
    scoreBins: (windows, models, options, held = heldOut) => source.scoreBins(windows, models, options, held),
    labels: (windows, models, bins, at, held = heldOut) => source.labels(windows, models, bins, at, held),
    labelStrips: (span, models, at, held = heldOut) => source.labelStrips(span, models, at, held),
    performance: (windows, models, at, held = heldOut) => source.performance(windows, models, at, held),
    scoreStrips: (span, models, at, held = heldOut) => source.scoreStrips(span, models, at, held),
  };
}

/** One cycle's source over the raw tables. */
export function rawSource(store: Store, config: Config): AggregateSource {
  return new CycleSource(store, config, rawReads(store, config));
}

/**
 * One cycle's source over the rollup, reading through `state` (the running sums, strips and ledger snapshot its
 * owner keeps between cycles; a new RollupState reads from cold). Making it starts a cycle of `state`.
 */
export function rollupSource(store: Store, config: Config, state: RollupState): AggregateSource {
  state.beginCycle();
  return new CycleSource(store, config, rollupReads(store, config, state, rawReads(store, config)));
}
