import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// The repository, its SQL for both dialects, and the retry on lock conflicts.
export default strykerConfig('db', import.meta.dirname, {
  mutate: [
    'src/repository.ts',
    'src/queries.ts',
    'src/dialect.ts',
    'src/retry.ts',
    'src/mysql.ts',
    'src/sqlite.ts',
  ],
  concurrency: 1,
  timeoutMS: 20_000,
});
