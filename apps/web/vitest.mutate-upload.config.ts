import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `pnpm mutate web-upload` runs against each mutant of the upload path; the hang-up,
// shutdown and sweep tests are left out (too long per mutant), and upload-duplicates waits on
// UPLOAD_DUPLICATE_WAIT_MS, which fails under the load of a mutation run (MUTATION.md).
// upload-accept-file reaches those paths (abort, sweep, duplicate wait) by calling acceptFile and
// claimContent directly, with latches instead of clocks.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: [
        'test/upload-accept-file.test.ts',
        'test/upload-accept.test.ts',
        'test/upload-refusals.test.ts',
        'test/upload-damaged.test.ts',
        'test/upload-limits.test.ts',
        'test/files-health-errors.test.ts',
        'test/outages.test.ts',
      ],
    },
  }),
);
