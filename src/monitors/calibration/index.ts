// Calibration per segment: ECE, MCE and Brier of the live score against matured outcomes in the current window.
import type { LabelSegment } from '../../aggregates/index.js';
import type { Config } from '../../config/index.js';
import type { Evaluation } from '../../core/types.js';
import { calibrationFromBins, calibrationTest, type CalibrationResult } from '../../stats/index.js';
import { judgeEachWindow, segmentRecord, type Monitor } from '../monitor.js';
import { calibrationPresentation } from './present.js';

/** The rest of the calibration picture beside the judged ECE, and the Hosmer–Lemeshow test behind it. */
export interface CalibrationDetails {
  mce: number;
  brier: number;
  referenceEce: number | undefined;
  hosmerLemeshow: number;
  df: number;
  bins: CalibrationResult['bins'];
}

function calibratable(labels: LabelSegment['current']): number {
  return labels.calibration.reduce((sum, bin) => sum + bin.count, 0);
}

function evaluateSegment(config: Config, row: LabelSegment): Evaluation<CalibrationDetails> | undefined {
  // The seam judged the segment's volume (minVolume, src/aggregates/volume.ts).
  if (!row.enough.calibration) return undefined;
  const nCurrent = calibratable(row.current);
  const nReference = calibratable(row.reference);
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

export const calibrationMonitor: Monitor<CalibrationDetails, 'calibration'> = {
  name: 'calibration',
  present: calibrationPresentation,
  severityInput: (config, e) => ({ magnitude: e.value, levels: config.monitors.calibration.thresholds }),
  enabled: (config) => config.monitors.calibration.enabled,
  async evaluate({ config, source, windows, models, at }) {
    const evaluations = await judgeEachWindow(windows, async (one) => {
      const rows = await source.labels(one, models, config.monitors.calibration.bins, at);
      return rows.flatMap((row) => evaluateSegment(config, row) ?? []);
    });
    return { evaluations };
  },
};
