// The daemon's hooks after each cycle: alert engine + delivery, shadow verdict changes, the weekly report.
import type { CycleHook } from '../daemon.js';
import type { Session } from './common.js';

export async function buildHooks(_session: Session): Promise<CycleHook[]> {
  return [];
}
