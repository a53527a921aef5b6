import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// The repository and its SQL for both dialects (MariaDB and SQLite).
export default strykerConfig('db-repository', import.meta.dirname, {
  mutate: ['src/repository.ts', 'src/queries.ts', 'src/dialect.ts', 'src/sqlite.ts'],
  vitestConfig: 'vitest.mutate-repository.config.ts',
  concurrency: 2,
  timeoutMS: 20_000,
});
