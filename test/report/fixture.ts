// A store with two weeks of synthetic traffic, a handful of cycles in the history table, and two alerts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { saveAlerts } from '../../src/alerts/table.js';
import type { Alert } from '../../src/alerts/types.js';
import { ensureAlertTables } from '../../src/alerts/table.js';
import type { ConfigInput } from '../../src/config/index.js';
import { runCycle } from '../../src/cycle.js';
import { writeHistory } from '../../src/sinks/history.js';
import { seed } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

/** Monday: the reported week is Mon 16 – Sun 22 Nov 2026 (ISO week 47), the week before W46. */
export const END = new Date('2026-11-23T00:00:00Z');
export const REPORT_AT = new Date('2026-11-23T08:00:00Z');
export const TO = ['ml-team@example.com', 'payments-oncall@example.com'];
export const FROM = 'driftwatch@example.com';
/** An issuer name a hostile upstream could send: it must reach the HTML as text. */
export const HOSTILE = '<script>alert("x")</script>';

const H = 3_600_000;
const D = 24 * H;

export const OVERRIDES: ConfigInput = {
  windows: { maturity: '2h' },
  minVolume: 100,
  sinks: { email: { to: TO, from: FROM }, prometheus: { port: 0 } },
};

/** Cycle times: a few in the week before, more in the reported week, the last ones in the incident hours. */
const CYCLES = [END.getTime() - 10 * D, END.getTime() - 8 * D, END.getTime() - 6 * D, END.getTime() - 4 * D, END.getTime() - 3 * D, END.getTime() - D, END.getTime() - 6 * H, END.getTime()];

export interface ReportFixture extends TempStore {
  /** A YAML config file pointing at the same store, for the CLI. */
  configPath: string;
}

export async function reportFixture(): Promise<ReportFixture> {
  const t = await tempStore(OVERRIDES);
  await seed(t.store, t.config, { days: 15, end: END, seed: 11, eventsPerDay: 20_000, scenarios: ['issuer-outage', 'score-drift', 'bad-rows'] });
  for (const at of CYCLES) {
    const result = await runCycle(t.store, t.config, { at: new Date(at) });
    await writeHistory(t.store, t.config, result, `fixture-${at}`);
  }
  await ensureAlertTables(t.store, t.config);
  await saveAlerts(t.store, t.config, [alert('resolved'), alert('firing')], 1, END);
  const configPath = join(t.dir, 'driftwatch.yaml');
  writeFileSync(configPath, stringify({ ...OVERRIDES, store: { path: t.config.store.path } }));
  return { ...t, configPath };
}

function alert(state: 'resolved' | 'firing'): Alert {
  const since = new Date(END.getTime() - (state === 'resolved' ? 4 * D : 10 * H));
  const resolved = state === 'resolved' ? new Date(since.getTime() + 5 * H + 30 * 60_000) : undefined;
  return {
    key: `approval_rate|card-auth|${state}`,
    groupKey: 'card-auth|approval_rate',
    monitor: 'approval_rate',
    model: 'card-auth',
    segment: state === 'resolved' ? { issuer: HOSTILE, region: 'EU' } : { issuer: 'Eurobanca', region: 'EU' },
    feature: 'delta',
    state,
    severity: state === 'resolved' ? 'ok' : 'critical',
    value: -0.42,
    threshold: 0.08,
    nCurrent: 900,
    nReference: 6000,
    criticalCount: 1,
    cleanCount: 0,
    since,
    firingSince: since,
    ...(resolved ? { resolvedAt: resolved, resolveReason: 'back below warning' } : {}),
    lastEvaluated: END,
    notified: true,
    silenced: false,
  };
}
