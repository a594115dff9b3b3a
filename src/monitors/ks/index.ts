// Kolmogorov–Smirnov distance of the score per segment, reference vs current, on the rollup's fixed score grid.
import { z } from 'zod';
import { EVERY_CELL, SCORE_GRID_CELLS, type BinnedSegment } from '../../aggregates/index.js';
import { levels, type Config } from '../../config/index.js';
import type { Evaluation } from '../../core/types.js';
import { judgeEachWindow, segmentRecord, type Monitor } from '../monitor.js';
import { ksPresentation } from './present.js';
import { ksFromCounts } from './statistic.js';

/**
 * `monitors.ks` in the config. Off by default: it watches what PSI watches (the score's distribution), so turning
 * it on is a choice of statistic, not more coverage. Its levels are in KS distance (the largest gap between the
 * two cumulative distributions): a shift of the score's logit by 0.3 standard deviations moves it by about 0.12.
 */
export const ksSettings = z
  .strictObject({
    enabled: z.boolean().default(false),
    thresholds: levels(0.1, 0.2),
  })
  .prefault({});

export type KsSettings = z.infer<typeof ksSettings>;

/** The test behind the distance: the effective sample size its p-value is scaled by. */
export interface KsDetails {
  effectiveN: number;
}

const settingsOf = (config: Config): KsSettings => ksSettings.parse(config.monitors.ks);

function evaluateRow(config: Config, row: BinnedSegment): Evaluation<KsDetails> | undefined {
  if (row.nReference === 0 || row.nCurrent === 0) return undefined;
  const test = ksFromCounts(row.referenceBins, row.currentBins);
  return {
    monitor: 'ks',
    model: row.model,
    segment: segmentRecord(config, row.segment),
    feature: row.feature,
    value: test.statistic,
    threshold: settingsOf(config).thresholds.warning,
    severity: 'ok',
    nCurrent: row.nCurrent,
    nReference: row.nReference,
    pValue: test.pValue,
    details: { effectiveN: test.effectiveN },
  };
}

export const ksMonitor: Monitor<KsDetails, 'ks'> = {
  name: 'ks',
  settings: ksSettings,
  present: ksPresentation,
  enabled: (config) => settingsOf(config).enabled,
  severityInput: (config, e) => ({ magnitude: e.value, levels: settingsOf(config).thresholds }),
  async evaluate({ config, source, windows, models }) {
    const evaluations = await judgeEachWindow(windows, async (one) => {
      // Every grid cell its own bin: the distance is read at every cell boundary of the fixed logit grid.
      const rows = await source.scoreBins(one, models, { bins: SCORE_GRID_CELLS, cellBins: EVERY_CELL });
      return rows.flatMap((row) => evaluateRow(config, row) ?? []);
    });
    return { evaluations };
  },
};
