// Every monitor a cycle runs, in order: the one list. Adding a monitor is its folder and one line here.
import type { Config } from '../config/index.js';
import { formatIssues } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { approvalMonitor } from './approval/index.js';
import { calibrationMonitor } from './calibration/index.js';
import { experimentsMonitor } from './experiments/index.js';
import { ksMonitor } from './ks/index.js';
import type { Monitor } from './monitor.js';
import { performanceMonitor } from './performance/index.js';
import { psiMonitor } from './psi/index.js';
import { qualityMonitor } from './quality/index.js';
import { shadowMonitor } from './shadow/index.js';

export const MONITORS = [psiMonitor, calibrationMonitor, approvalMonitor, performanceMonitor, shadowMonitor, qualityMonitor, ksMonitor, experimentsMonitor] as const;

export type MonitorName = (typeof MONITORS)[number]['name'];

const BY_NAME: ReadonlyMap<string, Monitor> = new Map(MONITORS.map((m) => [m.name, m as Monitor]));

/** The registered monitor of an evaluation or alert; undefined for a name no monitor has (an alert stored by an older version). */
export function monitorNamed(name: string): Monitor | undefined {
  return BY_NAME.get(name);
}

/** The monitors this config turns on, in registry order: what a cycle runs and what the sinks show. */
export function enabledMonitors(config: Config): Monitor[] {
  return MONITORS.filter((m) => m.enabled(config));
}

/**
 * Checks the `monitors` section against the registry: every key names a monitor, and a monitor that brings its
 * own settings gets them validated here, when the config loads, rather than failing in the first cycle.
 */
export function checkMonitorSettings(config: Config, source = 'config'): void {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(config.monitors)) {
    const monitor = BY_NAME.get(name);
    if (!monitor) {
      problems.push(`  - monitors.${name}: unknown key (the monitors are ${[...BY_NAME.keys()].join(', ')})`);
      continue;
    }
    const parsed = monitor.settings?.safeParse(value);
    if (parsed && !parsed.success) problems.push(formatIssues(parsed.error).replace(/^ {2}- /gm, `  - monitors.${name}.`));
  }
  if (problems.length > 0) throw new ConfigError(`${source} is invalid:\n${problems.join('\n')}`);
}
