// `driftwatch run --once`: one full cycle as of --at; prints the result, sends nothing, leaves alert state alone.
import { randomUUID } from 'node:crypto';
import { runCycle } from '../cycle.js';
import { prepareCycle } from '../prepare.js';
import { writeHistory } from '../sinks/history.js';
import { ExitCode } from '../errors.js';
import type { CycleResult } from '../core/types.js';
import { runDocument } from '../output.js';
import { settleSession, withSession } from './common.js';
import { formatPValue } from '../text.js';

export interface RunOptions {
  config?: string;
  once?: boolean;
  at?: Date;
  json?: boolean;
}

export async function runCommand(options: RunOptions): Promise<number> {
  const at = options.at ?? new Date();
  return withSession(options.config, async (session) => {
    const { store, config, logger } = await settleSession(session, at);
    // One cycle: prepareCycle's fresh rollup state lives as long as it.
    const result = await runCycle(store, config, { logger, ...(await prepareCycle(store, config, at, { logger })) });
    // Like a daemon cycle, the values go to the history table; nothing is sent and alert state is untouched.
    await writeHistory(store, config, result, randomUUID());
    if (options.json) process.stdout.write(`${JSON.stringify(runDocument(result))}\n`);
    else process.stdout.write(summary(result));
    return result.findings.length > 0 ? ExitCode.finding : ExitCode.ok;
  });
}

function segmentText(segment: Record<string, string>): string {
  const parts = Object.entries(segment).map(([k, v]) => `${k}=${v.length > 40 ? `${v.slice(0, 39)}…` : v}`);
  return parts.length > 0 ? parts.join(' ') : '(all traffic)';
}

function summary(result: CycleResult): string {
  const lines = [
    `driftwatch cycle at ${result.at.toISOString()} — ${result.models.length} model(s), ${result.evaluations.length} evaluations, ${result.findings.length} finding(s), ${(result.durationMs / 1000).toFixed(2)} s`,
    `  current   ${result.windows.current.from.toISOString()} → ${result.windows.current.to.toISOString()}`,
    `  reference ${result.windows.reference.from.toISOString()} → ${result.windows.reference.to.toISOString()}`,
    `  quality   rows ${result.quality.rows}, bad scores ${result.quality.badScores}, missing outcomes ${result.quality.missingOutcomes}, duplicates ${result.quality.duplicates}`,
  ];
  for (const f of result.findings) {
    const p = f.pValue !== undefined ? ` p=${formatPValue(f.pValue)}` : '';
    const window = f.window !== undefined ? ` [${f.window}]` : '';
    lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.monitor} ${f.model} ${segmentText(f.segment)} ${f.feature}=${f.value.toFixed(4)}${window} (threshold ${f.threshold}, n ${f.nCurrent}/${f.nReference}${p})`);
  }
  for (const s of result.shadow) lines.push(`  SHADOW   ${s.model} ${s.shadowVersion}: ${s.verdict} — ${s.reasons.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
