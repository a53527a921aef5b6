import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `pnpm mutate db-retry` runs against each mutant of the lock-conflict retry (MUTATION.md).
export default mergeConfig(
  base,
  defineConfig({ test: { include: ['test/retry.test.ts', 'test/contention-mariadb.test.ts'] } }),
);
