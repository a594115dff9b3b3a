// The minVolume rule, applied once by the read seam: a segment row is judged only with enough events in each window it compares.
import type { Config } from '../config/index.js';

/** `{min_volume:UInt64}`: the one name queries filter segment rows by. */
export function volumeParams(config: Pick<Config, 'minVolume'>): { min_volume: number } {
  return { min_volume: config.minVolume };
}

/** Every count is at least config.minVolume: the rule the queries' `{min_volume}` filters apply, in Node. */
export function hasVolume(config: Pick<Config, 'minVolume'>, ...counts: number[]): boolean {
  return counts.every((n) => n >= config.minVolume);
}
