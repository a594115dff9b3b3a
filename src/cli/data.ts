// `driftwatch seed` and `driftwatch ingest`: getting data into the store.
import { ingestFile } from '../ingest/index.js';
import { createProgress, type Progress } from '../progress.js';
import { seed, SCENARIOS, type ScenarioName } from '../synth/index.js';
import { ConfigError } from '../errors.js';
import { withSession } from './common.js';

export interface SeedCliOptions {
  config?: string;
  days: number;
  end?: Date;
  seed: number;
  eventsPerDay?: number;
  scenario: string[];
}

/** The hour at or before `time`: `seed` without --end starts from "now, floored to the hour". */
export function floorToHour(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 3_600_000) * 3_600_000);
}

export function checkScenarios(names: string[]): ScenarioName[] {
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new ConfigError(`unknown scenario ${JSON.stringify(name)}; choose from ${SCENARIOS.join(', ')}`);
  }
  return names as ScenarioName[];
}

/** A progress line whose total is learned from the first report. */
function lazyProgress(label: string, unit: 'rows' | 'bytes' = 'rows') {
  let progress: Progress | undefined;
  return {
    update(done: number, total?: number) {
      progress ??= createProgress(label, total, { unit });
      progress.update(done);
    },
    done() {
      progress?.done();
    },
  };
}

export async function seedCommand(options: SeedCliOptions): Promise<number> {
  const scenarios = checkScenarios(options.scenario);
  return withSession(options.config, async ({ store, config, logger }) => {
    const progress = lazyProgress('seed');
    const summary = await seed(
      store,
      config,
      {
        days: options.days,
        end: options.end ?? floorToHour(new Date()),
        seed: options.seed,
        scenarios,
        ...(options.eventsPerDay ? { eventsPerDay: options.eventsPerDay } : {}),
        onProgress: (done: number, total?: number) => progress.update(done, total),
      },
      logger,
    );
    progress.done();
    process.stdout.write(
      `seeded ${summary.events.toLocaleString('en-US')} events and ${summary.outcomes.toLocaleString('en-US')} outcomes ` +
        `from ${summary.from.toISOString()} to ${summary.to.toISOString()} in ${summary.seconds.toFixed(1)} s\n`,
    );
    for (const target of summary.targets) process.stdout.write(`  scenario ${target.scenario}: ${target.description}\n`);
    return 0;
  }, undefined, { createSources: true });
}

/** `DRIFTWATCH_INGEST_BATCH_ROWS`: lines per insert, for memory-tight machines and tests (default 50,000). */
function batchRowsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.DRIFTWATCH_INGEST_BATCH_ROWS;
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ConfigError(`DRIFTWATCH_INGEST_BATCH_ROWS must be a positive whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

export async function ingestCommand(options: { config?: string; table: string; file: string }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const batchRows = batchRowsFromEnv(env);
  return withSession(options.config, async ({ store, config, logger }) => {
    const progress = lazyProgress('ingest', 'bytes');
    const summary = await ingestFile(
      store,
      config,
      { table: options.table, file: options.file, ...(batchRows ? { batchRows } : {}), onProgress: (done: number, total?: number) => progress.update(done, total) },
      logger,
    );
    progress.done();
    for (const error of summary.errors) process.stdout.write(`line ${error.line}: ${error.reason}\n`);
    if (summary.skipped > summary.errors.length) process.stdout.write(`… and ${summary.skipped - summary.errors.length} more bad lines\n`);
    process.stdout.write(`loaded ${summary.loaded} rows into ${summary.table}, skipped ${summary.skipped} bad lines of ${summary.lines}, in ${summary.seconds.toFixed(1)} s\n`);
    if (summary.alreadyLoaded > 0) process.stdout.write(`${summary.alreadyLoaded} rows had already been loaded by an earlier run of this file and were not sent again\n`);
    return 0;
  }, undefined, { createSources: true });
}
