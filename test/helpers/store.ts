// A fresh embedded store in a temp directory, with the schema created: one per test file (the engine is per process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config, type ConfigInput } from '../../src/config/index.js';
import { ensureSchema, openStore, type Store } from '../../src/store/index.js';

export interface TempStore {
  store: Store;
  config: Config;
  dir: string;
  cleanup(): Promise<void>;
}

export async function tempStore(overrides: ConfigInput = {}): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-test-'));
  const config = parseConfig({ ...overrides, store: { ...(overrides.store ?? {}), path: join(dir, 'data') } });
  const store = openStore(config);
  await ensureSchema(store, config);
  return {
    store,
    config,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
