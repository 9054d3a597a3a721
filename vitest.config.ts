// Tests live under test/; the global set-up compiles the tree first, so spawned processes run the current sources.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { dir: 'test', testTimeout: 30_000, globalSetup: ['test/setup/build.ts'] },
});
