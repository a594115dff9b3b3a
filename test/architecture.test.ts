// The layout docs/architecture.md describes, checked: imports run down the data flow, monitors do no I/O, and
// the sinks, the alert engine and the report never ask for a monitor by name.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MONITORS } from '../src/monitors/registry.js';

const SRC = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Where a file sits in the data flow: it may import from its own layer and the ones below. */
const LAYERS: [RegExp, number][] = [
  [/^(config|stats|store|core)\//, 0],
  [/^(errors|log|text|retry|progress)\.ts$/, 0],
  // The read seam: the rollup and the two aggregate sources over it.
  [/^(rollup|aggregates)\//, 2],
  // A cycle: the seam prepared for `at`, every monitor, one judgement.
  [/^monitors\/|^(cycle|prepare)\.ts$/, 3],
  [/^alerts\//, 4],
  [/^sinks\//, 5],
  [/^report\//, 6],
  [/^(setup|daemon|lease|server|output|cli|index|backtest)\.ts$|^(cli|ingest|synth)\//, 7],
];

function layer(file: string): number {
  const path = relative(SRC, file);
  const found = LAYERS.find(([pattern]) => pattern.test(path));
  if (!found) throw new Error(`${path} is in no layer of test/architecture.test.ts: place it`);
  return found[1];
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
}

const ALL = files(SRC);

describe('the layout', () => {
  it('no import goes up the data flow (config → rollup → aggregates → monitors → alerts → sinks → report → daemon/cli)', () => {
    const up = ALL.flatMap((file) =>
      imports(file)
        .filter((target) => layer(target) > layer(file))
        .map((target) => `${relative(SRC, file)} → ${relative(SRC, target)}`),
    );
    expect(up).toEqual([]);
  });

  it('nothing under src/monitors imports the store', () => {
    const io = ALL.filter((f) => relative(SRC, f).startsWith('monitors/')).filter((f) => imports(f).some((t) => relative(SRC, t).startsWith('store/')));
    expect(io.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('src/sinks, src/alerts and src/report never ask for a monitor by name (they iterate over the registry)', () => {
    const names = `(['"\`])(${MONITORS.map((m) => m.name).join('|')})\\1`;
    // A comparison, a case, an assignment of a monitor or a membership test with a monitor's name.
    const literal = new RegExp(`(===|!==|case|monitor:|includes\\()\\s*${names}|${names}\\s*(===|!==)`);
    const found = ALL.filter((f) => /^(sinks|alerts|report)\//.test(relative(SRC, f))).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (literal.test(line) ? [`${relative(SRC, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it('no module-level mutable cache in src/rollup or src/aggregates (state is owned by the object the daemon hands down)', () => {
    const found = ALL.filter((f) => /^(rollup|aggregates)\//.test(relative(SRC, f))).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (/^(let |const \w+ = new (WeakMap|Map|Set)\b|export let )/.test(line) ? [`${relative(SRC, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });
});
