// `node dist/bench/detection.js [SCENARIO] [SEED]` (after `npm run bench` or `tsc -p tsconfig.bench.json`): how long
// after an incident's onset a backtest first raises a critical alert, with the default window and with a window set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backtest } from '../src/backtest.js';
import { parseConfig } from '../src/config/index.js';
import { ensureTables } from '../src/setup.js';
import { ensureSchema, openStore } from '../src/store/index.js';
import { seed, SCENARIOS, type ScenarioName } from '../src/synth/index.js';

const HOUR = 3_600_000;
const END = new Date('2026-11-20T12:00:00Z');
/** The incident starts six hours before the end; the replay covers the twelve hours before the end. */
const ONSET = new Date(END.getTime() - 6 * HOUR);
const SETTINGS: [string, object][] = [
  ['24h, maturity 2h (default)', {}],
  ['[15m, 1h, 6h, 24h], approved 5m', { current: ['15m', '1h', '6h', '24h'], maturity: { approved: '5m' } }],
];

const scenario = process.argv[2] as ScenarioName | undefined;
if (scenario && !SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${scenario}; one of ${SCENARIOS.join(', ')}`);
const seedValue = Number(process.argv[3] ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'driftwatch-detection-'));
const storeInput = { path: join(dir, 'data') };
const base = parseConfig({ store: storeInput });
const store = openStore(base);
try {
  await ensureSchema(store, base);
  await ensureTables(store, base);
  await seed(store, base, { days: 10, end: END, seed: seedValue, scenarios: scenario ? [scenario] : [], eventsPerDay: 120_000, incidentStart: ONSET });
  for (const [name, windows] of SETTINGS) {
    const config = parseConfig({ store: storeInput, windows });
    const started = Date.now();
    const result = await backtest(store, config, { from: new Date(END.getTime() - 12 * HOUR), to: END, everyMs: 15 * 60_000 });
    const critical = result.alerts.filter((a) => a.severity === 'critical');
    const line = {
      scenario: scenario ?? 'clean',
      seed: seedValue,
      windows: name,
      steps: result.steps,
      seconds: (Date.now() - started) / 1000,
      critical: critical.map((a) => ({ monitor: a.monitor, feature: a.feature, window: a.window, segment: Object.values(a.segment).join('/'), minutesAfterOnset: (a.firedAt.getTime() - ONSET.getTime()) / 60_000 })),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
