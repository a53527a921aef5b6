import { defineConfig } from 'vitest/config';

// Each file starts the production web tier as a child process and waits out timeouts and the
// reconciliation sweep on purpose: files run one at a time, so their timings do not compete.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
