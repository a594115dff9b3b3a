// Data-quality notes in words: the week's bad scores and missing outcomes, and what the quality monitor flagged.
import { formatDuration, type Config } from '../config/index.js';
import { count, percent, time } from './format.js';
import type { QualityJudgement } from './history.js';
import type { WeekQuality } from './traffic.js';
import type { Note } from './types.js';

const LEVELS = {
  bad_score_rate: 'badScoreRate',
  duplicate_rate: 'duplicateRate',
  missing_outcome_rate: 'missingOutcomeRate',
  volume_drop: 'volumeDrop',
} as const;

const NAMES: Record<string, string> = {
  bad_score_rate: 'bad-score rate',
  duplicate_rate: 'duplicate rate',
  missing_outcome_rate: 'missing-outcome rate',
  volume_drop: 'volume drop',
};

type Metric = keyof typeof LEVELS;

function level(config: Config, metric: Metric, rate: number): Note['level'] {
  const levels = config.monitors.quality[LEVELS[metric]];
  return rate >= levels.critical ? 'critical' : rate >= levels.warning ? 'warning' : 'info';
}

/** "flagged critical in 12 of 40 cycles (peak 3.1 %), Sat 21 Nov 12:00 – Sun 22 Nov 00:00" */
function flagged(j: QualityJudgement): string {
  const worst = j.criticalCycles > 0 ? `critical in ${j.criticalCycles}` : `at warning in ${j.warningCycles}`;
  const when = j.firstBad && j.lastBad ? `, ${time(j.firstBad)} – ${time(j.lastBad)} UTC` : '';
  return `flagged ${worst} of ${j.cycles} cycles (peak ${percent(j.peak, 2)})${when}`;
}

function judgementLevel(j: QualityJudgement): Note['level'] {
  return j.criticalCycles > 0 ? 'critical' : j.warningCycles > 0 ? 'warning' : 'info';
}

const worse = (a: Note['level'], b: Note['level']): Note['level'] => (a === 'critical' || b === 'critical' ? 'critical' : a === 'warning' || b === 'warning' ? 'warning' : 'info');

/**
 * Weekly totals say how much was wrong; the monitor's judgements say when. Both are folded into one note
 * per model and statistic so a reader does not meet the same problem twice.
 */
export function qualityNotes(config: Config, models: readonly string[], traffic: readonly WeekQuality[], judgements: readonly QualityJudgement[]): Note[] {
  const notes: Note[] = [];
  const maturity = formatDuration(config.windows.maturity);
  for (const model of models) {
    const week = traffic.find((q) => q.model === model && q.week === 'current');
    const before = traffic.find((q) => q.model === model && q.week === 'previous');
    const judged = (metric: Metric) => judgements.find((j) => j.model === model && j.metric === metric && j.week === 'current' && j.warningCycles + j.criticalCycles > 0);
    if (!week || week.events === 0) {
      notes.push({ level: before?.events ? 'critical' : 'info', text: `${model}: no live scoring events this week (week before: ${count(before?.events ?? 0)}).` });
      continue;
    }
    const items: { metric: Metric; total?: { level: Note['level']; text: string } }[] = [
      { metric: 'bad_score_rate', total: badScores(config, model, week, before) },
      { metric: 'missing_outcome_rate', total: missingOutcomes(config, model, week, before, maturity) },
      { metric: 'duplicate_rate' },
      { metric: 'volume_drop' },
    ];
    for (const { metric, total } of items) {
      const j = judged(metric);
      if (!j && (!total || total.level === 'info')) continue;
      const text = total ? `${total.text}${j ? `; the quality monitor ${flagged(j)}` : ''}.` : `${model}: ${NAMES[metric]} ${flagged(j as QualityJudgement)}.`;
      notes.push({ level: worse(total?.level ?? 'info', j ? judgementLevel(j) : 'info'), text });
    }
  }
  return notes;
}

function badScores(config: Config, model: string, week: WeekQuality, before: WeekQuality | undefined) {
  const rate = week.badScores / week.events;
  const was = before && before.events > 0 ? `${count(before.badScores)} (${percent(before.badScores / before.events, 2)})` : 'no data';
  return {
    level: week.badScores > 0 ? worse('warning', level(config, 'bad_score_rate', rate)) : ('info' as const),
    text: `${model}: ${count(week.badScores)} of ${count(week.events)} live scores (${percent(rate, 2)}) were NaN, ±Inf or outside [0, 1] — week before: ${was}`,
  };
}

function missingOutcomes(config: Config, model: string, week: WeekQuality, before: WeekQuality | undefined, maturity: string) {
  if (week.matured === 0) return undefined;
  const rate = week.missingOutcomes / week.matured;
  const was = before && before.matured > 0 ? percent(before.missingOutcomes / before.matured, 1) : 'no data';
  return {
    level: level(config, 'missing_outcome_rate', rate),
    text: `${model}: ${percent(rate, 1)} of matured events (${count(week.missingOutcomes)}) got no outcome within ${maturity} — week before: ${was}`,
  };
}
