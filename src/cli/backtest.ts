// `driftwatch backtest`: replays the daemon's cycles over a past range and prints the alerts it would have raised.
import { InvalidArgumentError } from 'commander';
import { backtest, backtestDocument, type BacktestResult } from '../backtest.js';
import { formatDuration, parseDuration } from '../config/index.js';
import { DriftwatchError, ExitCode } from '../errors.js';
import { createProgress } from '../progress.js';
import { cleanValue } from '../text.js';
import { settleSession, withSession } from './common.js';

export interface BacktestCommandOptions {
  config?: string;
  from: Date;
  to: Date;
  every: number;
  json?: boolean;
}

/** Shorter steps than this would replay faster than any schedule driftwatch allows to run. */
const MIN_STEP_MS = 60_000;

/** `--every 5m`: a duration of at least a minute. */
export function parseStep(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError(`not a duration: ${JSON.stringify(text)} (e.g. 5m, 1h)`);
  if (ms < MIN_STEP_MS) throw new InvalidArgumentError(`a step must be at least 1m, got ${text}`);
  return ms;
}

export async function backtestCommand(options: BacktestCommandOptions): Promise<number> {
  if (options.from.getTime() > options.to.getTime()) {
    throw new DriftwatchError(`--from (${options.from.toISOString()}) is after --to (${options.to.toISOString()}); give the earlier time first`, ExitCode.usage);
  }
  return withSession(options.config, async (session) => {
    const { store, config, logger } = await settleSession(session, options.from);
    const progress = createProgress('backtest', undefined, { unit: 'steps' });
    let result: BacktestResult;
    try {
      result = await backtest(store, config, { from: options.from, to: options.to, everyMs: options.every, logger, onStep: (done) => progress.update(done) });
    } finally {
      progress.done();
    }
    process.stdout.write(options.json ? `${JSON.stringify(backtestDocument(result))}\n` : timeline(result));
    return ExitCode.ok;
  });
}

const time = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;

/** One line per alert that fired, in order: when, how bad, what, where, and when it resolved. */
function timeline(result: BacktestResult): string {
  const lines = [
    `backtest ${time(result.from)} → ${time(result.to)} every ${formatDuration(result.everyMs)}: ${result.steps} cycles, ${result.alerts.length} alert(s) fired` +
      `${result.alerts.some((a) => !a.resolvedAt) ? `, ${result.alerts.filter((a) => !a.resolvedAt).length} still firing at the end` : ''}`,
  ];
  for (const a of result.alerts) {
    const where = Object.entries(a.segment).map(([k, v]) => `${k}=${cleanValue(v, 40)}`).join(' ') || '(all traffic)';
    const shadow = a.shadowVersion !== undefined ? ` shadow=${cleanValue(a.shadowVersion, 40)}` : '';
    const until = a.resolvedAt ? `resolved ${time(a.resolvedAt)} (after ${formatDuration(a.resolvedAt.getTime() - a.firedAt.getTime())})` : 'still firing';
    lines.push(`  ${time(a.firedAt)}  ${a.severity.toUpperCase().padEnd(8)} ${a.monitor} ${cleanValue(a.model, 40)} ${where}${shadow} ${a.feature} [${a.window}] — ${until}`);
  }
  return `${lines.join('\n')}\n`;
}
