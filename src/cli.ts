// The driftwatch command line: parses arguments and hands each command to its module (wiring only).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { packageRoot } from './store/index.js';
import { checkConfigCommand } from './cli/check-config.js';
import { parseInteger, parsePositiveInt, parseTime, reportError } from './cli/common.js';
import { ingestCommand, seedCommand } from './cli/data.js';
import { runCommand } from './cli/run.js';
import { parseStep } from './cli/backtest.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** The installed package's version, from its package.json (the one the queries ship beside). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

function program(setExit: (code: number) => void): Command {
  const cli = new Command('driftwatch')
    .description('Watches payment-scoring models in production: drift, calibration, approval rates and shadow models, computed inside ClickHouse.')
    .showHelpAfterError('(run with --help for usage)')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride();
  const configOption = () => new Option('-c, --config <file>', 'YAML config file (omit it for all defaults; a named file must exist)');

  cli
    .command('demo')
    .description('seed the embedded store with synthetic traffic (with injected incidents), then run the daemon')
    .addOption(configOption())
    .action(async (opts) => setExit(await (await import('./cli/demo.js')).demoCommand(opts)));

  cli
    .command('daemon')
    .description('run scheduled cycles until SIGTERM/SIGINT, then stop cleanly')
    .addOption(configOption())
    .action(async (opts) => setExit(await (await import('./cli/daemon.js')).daemonCommand(opts)));

  cli
    .command('run')
    .description('run one full cycle as of --at; sends nothing and leaves alert state alone')
    .addOption(configOption())
    .option('--once', 'run one cycle and exit (the only mode of run)', true)
    .option('--at <iso>', 'evaluate as of this time (default: now)', parseTime)
    .option('--json', 'print the result document to stdout and nothing else')
    .action(async (opts) => setExit(await runCommand(opts)));

  cli
    .command('backtest')
    .description("replay the daemon's cycles over a past range (alert lifecycle applied) and print the alerts they raise; sends nothing")
    .addOption(configOption())
    .requiredOption('--from <iso>', 'first cycle time', parseTime)
    .requiredOption('--to <iso>', 'last cycle time', parseTime)
    .option('--every <duration>', 'time between cycles, at least 1m', parseStep, 300_000)
    .option('--json', 'print one JSON document { steps, alerts } to stdout and nothing else')
    .action(async (opts) => setExit(await (await import('./cli/backtest.js')).backtestCommand(opts)));

  cli
    .command('report')
    .description('build the weekly report; --out writes HTML, --send emails it')
    .addOption(configOption())
    .option('--at <iso>', 'report on the week before this time (default: now)', parseTime)
    .option('--out <file>', 'write the HTML report to this file')
    .option('--send', 'email the report to sinks.email.to (SMTP_URL from the environment); once per week')
    .option('--no-backfill', 'do not run cycles to fill a week that has no history')
    .action(async (opts) => setExit(await (await import('./cli/report.js')).reportCommand(opts)));

  cli
    .command('seed')
    .description('write deterministic synthetic payments traffic for the N days before --end')
    .addOption(configOption())
    .option('--days <n>', 'days of traffic', parsePositiveInt, 14)
    .option('--end <iso>', 'end of the traffic (default: now, floored to the hour)', parseTime)
    .option('--seed <s>', 'random seed; the same arguments give the same rows', parseInteger, 1)
    .option('--events-per-day <n>', 'live transactions a day, across models (default 360000)', parsePositiveInt)
    .option('--scenario <name...>', 'inject an incident (repeatable): issuer-outage, score-drift, miscalibration, ranking-decay, mix-shift, shadow-better, shadow-worse, bad-rows, network-shift', collect, [])
    .action(async (opts) => setExit(await seedCommand(opts)));

  cli
    .command('ingest')
    .description('load a JSONEachRow file into a table; bad rows are reported with their line numbers')
    .addOption(configOption())
    .requiredOption('--table <name>', 'the events or outcomes table')
    .requiredOption('--file <path>', 'JSONEachRow file')
    .action(async (opts) => setExit(await ingestCommand(opts)));

  cli
    .command('rollup')
    .description('fold new and changed hours into the rollup as of --at; --rebuild drops it and folds it afresh')
    .addOption(configOption())
    .option('--rebuild', 'drop the rollup and fold the windows again')
    .option('--at <iso>', 'fold as of this time (default: now)', parseTime)
    .action(async (opts) => setExit(await (await import('./cli/rollup.js')).rollupCommand(opts)));

  cli
    .command('check-config')
    .description('validate the config and the database schema')
    .addOption(configOption())
    .action(async (opts) => setExit(await checkConfigCommand(opts)));

  cli
    .command('advise')
    .description("measure what driftwatch's folds read of the source tables and print the DDL a DBA may apply (nothing is changed)")
    .addOption(configOption())
    .option('--at <iso>', 'measure the reads a cycle as of this time sends (default: now)', parseTime)
    .option('--json', 'print one JSON document and nothing else')
    .action(async (opts) => setExit(await (await import('./cli/advise.js')).adviseCommand(opts)));

  return cli;
}

/** Runs the CLI and returns the process exit code (ExitCode in errors.ts; the list is in README, "Commands"). */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const cli = program((c) => {
    code = c;
  });
  try {
    if (argv.length <= 2) {
      cli.outputHelp();
      return 2;
    }
    await cli.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; anything commander rejects is bad usage.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error);
  }
}
