import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// The repository and its SQL for both dialects (MariaDB and SQLite).
export default strykerConfig('db-repository', import.meta.dirname, {
  mutate: ['src/repository.ts', 'src/queries.ts', 'src/dialect.ts', 'src/sqlite.ts'],
  vitestConfig: 'vitest.mutate-repository.config.ts',
  concurrency: 2,
  // Static mutants are run: the tests open the repository (and so build its SQL) inside each test
  // (see vitest.mutate-repository.config.ts); what stays static is the modules' constants, and
  // each of those runs the whole, short test set.
  timeoutMS: 20_000,
});
