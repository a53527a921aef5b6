import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// The repository and its SQL for both dialects (MariaDB and SQLite).
export default strykerConfig('db-repository', import.meta.dirname, {
  mutate: ['src/repository.ts', 'src/queries.ts', 'src/dialect.ts', 'src/sqlite.ts'],
  vitestConfig: 'vitest.mutate-repository.config.ts',
  concurrency: 2,
  // The SQL is built once per repository, in the tests' beforeAll: every such mutant would run the
  // whole suite. Skipped here (reported as ignored); see MUTATION.md.
  ignoreStatic: true,
  timeoutMS: 20_000,
});
