import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// The retry on InnoDB lock conflicts, and how the MySQL driver wires it around every statement
// (mysql.ts lines 57-66; the pool options and the migration lock are other tests' concern).
export default strykerConfig('db-retry', import.meta.dirname, {
  mutate: ['src/retry.ts', 'src/mysql.ts:57-66'],
  vitestConfig: 'vitest.mutate-retry.config.ts',
  concurrency: 1,
  timeoutMS: 20_000,
});
