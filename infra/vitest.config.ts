import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Loading @pulumi/aws and running the program takes a few seconds on a busy machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
