import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `pnpm mutate db-repository` runs against each mutant of the repository and its SQL: the
// contract suite on SQLite and on MariaDB, the cursor and the search words, the errors of a closed
// repository (both dialects), the SQLite file, the search backfill of migrations on existing rows,
// and the statements a write runs. The contract suite runs here on one SQLite file and one MariaDB
// database migrated once per run (test/shared-databases.ts), emptied when a test file starts, with
// the repository opened in each test (useRepository in test/helpers.ts): a run of a mutant then
// costs its tests only, not a database and its migrations, and Stryker sees which test built which
// SQL. A test file added here must open its repositories inside its tests, not in a beforeAll: what
// a beforeAll runs counts as static, and every static mutant runs every test.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: [
        'test/sqlite.test.ts',
        'test/mariadb.test.ts',
        'test/cursor.test.ts',
        'test/search-words.test.ts',
        'test/repository-errors.test.ts',
        'test/sqlite-file.test.ts',
        'test/search-backfill.test.ts',
        'test/statements.test.ts',
      ],
      globalSetup: ['test/shared-databases.ts'],
    },
  }),
);
