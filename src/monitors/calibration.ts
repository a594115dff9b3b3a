// Calibration per segment: ECE, MCE and Brier of the live score against matured outcomes in the current window.
import type { LabelSegment } from '../aggregates/index.js';
import type { Config } from '../config/index.js';
import { calibrationFromBins, calibrationTest } from '../stats/index.js';
import { segmentRecord, type Monitor } from './monitor.js';
import type { Evaluation } from './types.js';

function calibratable(labels: LabelSegment['current']): number {
  return labels.calibration.reduce((sum, bin) => sum + bin.count, 0);
}

function evaluateSegment(config: Config, row: LabelSegment): Evaluation | undefined {
  // Bins count labeled events only, so a segment with too few labels is skipped before its bins are read.
  if (row.current.labeled < config.minVolume) return undefined;
  const nCurrent = calibratable(row.current);
  const nReference = calibratable(row.reference);
  if (nCurrent < config.minVolume) return undefined;
  const current = calibrationFromBins(row.current.calibration);
  const test = calibrationTest(row.current.calibration);
  const reference = nReference > 0 ? calibrationFromBins(row.reference.calibration) : undefined;
  return {
    monitor: 'calibration',
    model: row.model,
    segment: segmentRecord(config, row.segment),
    feature: 'ece',
    value: current.ece,
    threshold: config.monitors.calibration.thresholds.warning,
    severity: 'ok',
    nCurrent,
    nReference,
    pValue: test.pValue,
    details: {
      mce: current.mce,
      brier: current.brier,
      referenceEce: reference?.ece,
      hosmerLemeshow: test.statistic,
      df: test.df,
      bins: current.bins,
    },
  };
}

export const calibrationMonitor: Monitor = {
  name: 'calibration',
  severityInput: (config, e) => ({ magnitude: e.value, levels: config.monitors.calibration.thresholds }),
  enabled: (config) => config.monitors.calibration.enabled,
  async evaluate({ config, source, windows, models, at }) {
    const rows = await source.labels(windows, models, config.monitors.calibration.bins, at);
    return { evaluations: rows.flatMap((row) => evaluateSegment(config, row) ?? []) };
  },
};
