// The synthetic traffic generator's public types: scenario names, options and the summary of what was written.

export const SCENARIOS = ['issuer-outage', 'score-drift', 'miscalibration', 'ranking-decay', 'mix-shift', 'shadow-better', 'shadow-worse', 'bad-rows', 'network-shift', 'ab-better', 'ab-worse', 'ab-srm'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface SeedOptions {
  days: number;
  end: Date;
  seed: number;
  scenarios: ScenarioName[];
  /** events per day of live traffic, default ~360k */
  eventsPerDay?: number;
  /** when scenarios start; default end − 26h (covers the current window, and its 2 h maturity shift) */
  incidentStart?: Date;
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
  /**
   * A table (outcomes' columns) that receives the outcomes still to come at `end` — the late tail of the delay
   * distribution: the benchmark lands them as time moves on, as a live source would.
   */
  pendingOutcomes?: string;
  /** How outcomes are delayed (world.ts DELAYS): `authorisation` (seconds; the default) or `slow` (minutes to days). */
  delays?: 'authorisation' | 'slow';
  /** Distinct merchants (world.ts MODEL.merchants by default, 4,000): the benchmark's segment-cardinality axis segments by merchant. */
  merchants?: number;
}

export interface ScenarioTarget {
  scenario: ScenarioName;
  model: string;
  /** e.g. {issuer, region}: the configured segment columns, at least issuer and region where relevant; {} = the whole model */
  segment: Record<string, string>;
  shadowVersion?: string;
  from: Date;
  to: Date;
  description: string;
}

export interface SeedSummary {
  events: number;
  outcomes: number;
  from: Date;
  to: Date;
  models: { model: string; liveVersion: string; shadowVersions: string[]; treatmentVersion?: string }[];
  targets: ScenarioTarget[];
  seconds: number;
}
