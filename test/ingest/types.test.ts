import { describe, expect, it } from 'vitest';
import { parseTime } from '../../src/ingest/time.js';
import { columnCheck, Problem, UnsupportedTypeError } from '../../src/ingest/types.js';

const utc = { serverTimezone: 'UTC' };
const check = (type: string, value: unknown) => {
  const result = columnCheck(type, utc).check(value);
  return result instanceof Problem ? `${result.path.join('.')}${result.path.length ? ': ' : ''}${result.message}` : result;
};

describe('columnCheck', () => {
  it('knows which columns are Nullable, through LowCardinality too', () => {
    expect(columnCheck('Nullable(UInt8)', utc).nullable).toBe(true);
    expect(columnCheck('LowCardinality(Nullable(String))', utc).nullable).toBe(true);
    expect(columnCheck('LowCardinality(String)', utc).nullable).toBe(false);
    expect(check('LowCardinality(Nullable(String))', null)).toBeNull();
  });

  it('sends NaN and ±Inf in ClickHouse spelling, including numbers JSON.parse made infinite', () => {
    expect(['NaN', 'Infinity', '-Inf', '+inf'].map((v) => check('Float64', v))).toEqual(['nan', 'inf', '-inf', 'inf']);
    expect(check('Float32', JSON.parse('-1e400'))).toBe('-inf');
    expect(check('Float64', 'nope')).toBe('expected a number, got string "nope"');
  });

  it('checks integer ranges, 64-bit ones only as far as doubles are exact', () => {
    expect(check('Int8', -128)).toBe(-128);
    expect(check('Int8', 128)).toBe('128 is out of range for Int8 (-128 to 127)');
    expect(check('UInt64', 2 ** 53)).toBe(`${2 ** 53} is out of range for UInt64 (0 to ${Number.MAX_SAFE_INTEGER})`);
    expect(check('UInt32', '7')).toBe('expected an integer, got string "7"');
  });

  it('checks nested maps and arrays, naming where the bad value is', () => {
    expect(check('Map(LowCardinality(String), Array(Nullable(Float64)))', { a: [1, null, 'NaN'] })).toEqual({ a: [1, null, 'nan'] });
    expect(check('Map(String, Array(Float64))', { a: [1, 'x'] })).toBe('a.1: expected a number, got string "x"');
    expect(check('Array(UInt8)', null)).toBe('null is not allowed (the column is not Nullable)');
  });

  it('checks enums, booleans, dates and fixed strings', () => {
    expect(check("Enum8('approve' = 1, 'decline' = 2, 'it\\'s' = 3)", 'decline')).toBe('decline');
    expect(check("Enum8('it\\'s' = 1)", "it's")).toBe("it's");
    expect(check("Enum8('approve' = 1, 'decline' = 2)", 'review')).toBe('must be one of "approve", "decline", got string "review"');
    expect(check('Bool', 1)).toBe('expected true or false, got number 1');
    expect(check('Date', '2026-02-29')).toBe('"2026-02-29" is not a real date');
    expect(check('Date32', '2028-02-29')).toBe('2028-02-29');
    expect(check('FixedString(2)', 'abc')).toBe('string "abc" is longer than 2 bytes');
  });

  it('refuses types it cannot check, and times in a zone other than UTC', () => {
    expect(() => columnCheck('Int128', utc)).toThrow(UnsupportedTypeError);
    expect(() => columnCheck("DateTime64(3, 'Europe/Paris')", utc)).toThrow(/Europe\/Paris/);
    expect(() => columnCheck('DateTime64(3)', { serverTimezone: 'America/New_York' })).toThrow(UnsupportedTypeError);
    expect(check("DateTime('Etc/UTC')", '2026-11-20T10:00:00.999Z')).toBe('2026-11-20 10:00:00');
  });
});

describe('parseTime', () => {
  it('normalises to UTC with the column precision, keeping the digits as written', () => {
    expect(parseTime('2026-11-20T00:15:00.123456+01:00', 'DateTime64', 6)).toBe('2026-11-19 23:15:00.123456');
    expect(parseTime('2026-11-20 00:15:00.1', 'DateTime64', 3)).toBe('2026-11-20 00:15:00.100');
    expect(parseTime('2026-11-20T00:15:00+0530', 'DateTime64', 0)).toBe('2026-11-19 18:45:00');
    expect(parseTime('2026-11-20T00:15:00-02', 'DateTime64', 3)).toBe('2026-11-20 02:15:00.000');
  });

  it('refuses impossible and unstorable times', () => {
    expect(parseTime('2026-11-20 24:00:00', 'DateTime64', 3)).toEqual({ problem: '"2026-11-20 24:00:00" is not a real date and time' });
    expect(parseTime('2026-11-20T10:00:00+25:00', 'DateTime64', 3)).toEqual({ problem: '"2026-11-20T10:00:00+25:00" has an impossible UTC offset +25:00' });
    expect(parseTime('1850-01-01 00:00:00', 'DateTime64', 3)).toEqual({ problem: '"1850-01-01 00:00:00" is outside the range of DateTime64' });
    expect(parseTime('1969-12-31 23:59:59', 'DateTime', 0)).toEqual({ problem: '"1969-12-31 23:59:59" is outside the range of DateTime' });
    expect(parseTime('0050-06-01 00:00:00.000', 'DateTime64', 3)).toEqual({ problem: '"0050-06-01 00:00:00.000" is outside the range of DateTime64' });
    expect(parseTime('2026-11-20', 'DateTime64', 3)).toHaveProperty('problem');
  });
});
