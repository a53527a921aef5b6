import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `pnpm mutate db-repository` runs against each mutant of the repository and its SQL:
// the contract suite on SQLite (sqlite.test.ts), the cursor and the search words. The same suite on
// MariaDB (mariadb.test.ts) costs a database and its migrations per run of a mutant, and made a run
// take hours on a shared 2-core machine; the MySQL-only SQL is therefore not covered here
// (MUTATION.md lists those mutants).
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/sqlite.test.ts', 'test/cursor.test.ts', 'test/search-words.test.ts'],
    },
  }),
);
