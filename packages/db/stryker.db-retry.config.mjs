import { readFileSync } from 'node:fs';
import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// The retry on InnoDB lock conflicts, and how the MySQL driver wires it around every statement:
// in mysql.ts, from `const retry = {` to the line that calls withLockRetry (the pool options and
// the migration lock are other tests' concern). The range is found in the source, so it follows
// edits to the file instead of naming stale line numbers.
const lines = readFileSync(new URL('src/mysql.ts', import.meta.url), 'utf8').split('\n');
const first = lines.findIndex((line) => /^\s*const retry = \{/.test(line)) + 1;
const last = lines.findIndex((line) => line.includes('withLockRetry(')) + 1;
if (first < 1 || last < first)
  throw new Error('stryker db-retry: the retry wiring is no longer in src/mysql.ts');

export default strykerConfig('db-retry', import.meta.dirname, {
  mutate: ['src/retry.ts', `src/mysql.ts:${first}-${last}`],
  vitestConfig: 'vitest.mutate-retry.config.ts',
  concurrency: 1,
  timeoutMS: 20_000,
});
