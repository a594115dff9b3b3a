// store.statementTimeout: a duration, 10 minutes by default, never zero (every statement has a bound).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { configErrorMessage as messageOf } from '../helpers/failures.js';


describe('store.statementTimeout', () => {
  it('defaults to 10 minutes and takes any duration', () => {
    expect(parseConfig({}).store.statementTimeout).toBe(600_000);
    expect(parseConfig({ store: { statementTimeout: '90s' } }).store.statementTimeout).toBe(90_000);
    expect(parseConfig({ store: { statementTimeout: '0.5s' } }).store.statementTimeout).toBe(500);
    expect(parseConfig({ store: { statementTimeout: '1h' } }).store.statementTimeout).toBe(3_600_000);
  });

  it('refuses zero and what is not a duration, naming the key', () => {
    expect(messageOf(() => parseConfig({ store: { statementTimeout: '0s' } }))).toContain('store.statementTimeout: must be more than 0s');
    expect(messageOf(() => parseConfig({ store: { statementTimeout: 600 } }))).toContain('store.statementTimeout');
    expect(messageOf(() => parseConfig({ store: { statementTimeout: 'ten minutes' } }))).toContain('store.statementTimeout: must be a duration');
  });

  it('suggests the key for a typo', () => {
    expect(messageOf(() => parseConfig({ store: { statementTimeuot: '10m' } }))).toContain('did you mean store.statementTimeout?');
  });
});
