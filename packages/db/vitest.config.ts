import { defineConfig } from 'vitest/config';

// The MariaDB race and migration tests open many real connections; on a loaded 2-core machine
// they can pass vitest's 5 s default while still being correct, so allow more.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
