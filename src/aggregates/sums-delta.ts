// The rule every running-sums delta query reads rows by (src/rollup/window-sums.ts), defined once for the three of them.

/**
 * `{{delta_signs}}`: a row's version lookups and its sign per window: +1 in window w when its hour enters w at the
 * version added ({adds}[w], {addVersions}), −1 when it leaves w at the version the sums hold ({subs}[w],
 * {subVersions}); an hour folded again is in both, its old rows out and its new ones in. Versions are indexed by
 * hour from {base} (changeVersions).
 */
const SIGNS = `{addVersions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {base:UInt32}, 3600) + 1] AS add_version,
      {subVersions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {base:UInt32}, 3600) + 1] AS sub_version,
      arrayMap(
        w -> toInt64(version = add_version AND has({adds:Array(Array(UInt32))}[w], toUnixTimestamp(hour)))
          - (version = sub_version AND has({subs:Array(Array(UInt32))}[w], toUnixTimestamp(hour))),
        range(1, length({adds:Array(Array(UInt32))}) + 1)) AS signs`;

/** `{{delta_rows}}`: the rows of the change's hours at a version added or taken away. */
const ROWS = `hour IN (SELECT arrayJoin({hours:Array(DateTime('UTC'))}))
      AND toUnixTimestamp(hour) >= {base:UInt32}
      AND (version = add_version OR version = sub_version)`;

/** Expands `{{delta_signs}}` and `{{delta_rows}}`. */
export function expandSumsDelta(text: string): string {
  return text.replaceAll('{{delta_signs}}', SIGNS).replaceAll('{{delta_rows}}', ROWS);
}
