// Silences from config: matchers on monitor, model, feature or a segment column, active until they expire.
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Alert } from './types.js';

type Matcher = (value: string | undefined) => boolean;

export interface Silence {
  matchers: Map<string, Matcher>;
  expires: Date;
  comment: string;
}

/** `/regex/` is a regular expression matched against the whole value (as in Alertmanager); anything else is exact. */
function compileMatcher(pattern: string, path: string): Matcher {
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${pattern.slice(1, -1)})$`);
    } catch (error) {
      throw new ConfigError(`${path}: ${pattern} is not a valid regular expression (${(error as Error).message})`);
    }
    return (value) => value !== undefined && re.test(value);
  }
  return (value) => value === pattern;
}

/** Compiles `alerts.silences`; a matcher on a name that is no label of any alert is a config error, not a silent no-op. */
export function compileSilences(config: Config): Silence[] {
  const labels = new Set(['monitor', 'model', 'feature', ...config.segments]);
  return config.alerts.silences.map((silence, i) => {
    const matchers = new Map<string, Matcher>();
    for (const [name, pattern] of Object.entries(silence.matchers)) {
      const path = `alerts.silences[${i}].matchers.${name}`;
      if (!labels.has(name)) throw new ConfigError(`${path}: not an alert label; use one of ${[...labels].join(', ')}`);
      matchers.set(name, compileMatcher(pattern, path));
    }
    if (matchers.size === 0) throw new ConfigError(`alerts.silences[${i}].matchers: list at least one matcher (an empty silence would mute everything)`);
    return { matchers, expires: new Date(silence.expires), comment: silence.comment };
  });
}

function label(alert: Pick<Alert, 'monitor' | 'model' | 'feature' | 'segment'>, name: string): string | undefined {
  if (name === 'monitor') return alert.monitor;
  if (name === 'model') return alert.model;
  if (name === 'feature') return alert.feature;
  return alert.segment[name];
}

/** Whether an unexpired silence matches every one of its matchers at `at`. */
export function isSilenced(silences: readonly Silence[], alert: Pick<Alert, 'monitor' | 'model' | 'feature' | 'segment'>, at: Date): boolean {
  return silences.some(
    (s) => at.getTime() < s.expires.getTime() && [...s.matchers].every(([name, matches]) => matches(label(alert, name))),
  );
}
