import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // sharp decodes dozens of cut and damaged files; a busy 2-core machine needs the margin.
    testTimeout: 30_000,
  },
});
