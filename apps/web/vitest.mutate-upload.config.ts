import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `pnpm mutate web-upload` runs against each mutant of the upload path (MUTATION.md).
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: [
        'test/upload-*.test.ts',
        'test/files-health-errors.test.ts',
        'test/client-hangup.test.ts',
        'test/outages.test.ts',
      ],
    },
  }),
);
