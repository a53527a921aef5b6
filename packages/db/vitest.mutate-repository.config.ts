import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `pnpm mutate db-repository` runs against each mutant of the repository and its SQL:
// the contract suite on both dialects (sqlite.test.ts, mariadb.test.ts), without the slow race,
// migration, rotation and timeout tests (MUTATION.md).
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: [
        'test/sqlite.test.ts',
        'test/mariadb.test.ts',
        'test/cursor.test.ts',
        'test/search-words.test.ts',
      ],
    },
  }),
);
