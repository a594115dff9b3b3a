import { defineConfig } from 'vitest/config';

// Each test file runs in its own process: the embedded ClickHouse engine is a
// process singleton bound to one data directory.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Three on two cores: a fifth of the suite's time waits on processes, servers and timers.
    maxWorkers: 3,
  },
});
