import { defineConfig } from 'vitest/config';

// Seeding MariaDB and paging through it takes a few seconds on a loaded 2-core machine.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
