import { defineConfig } from 'vitest/config';

// The end-to-end and browser tests run the whole system (sharp, workers, Chromium) on a shared
// 2-core machine: allow them time. Files run one at a time to keep the load predictable.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
