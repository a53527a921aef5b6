import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `pnpm mutate web-auth` runs against each mutant of the authorisation rules (MUTATION.md).
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/actions.test.ts', 'test/request-stage.test.ts', 'test/permissions.test.ts'],
    },
  }),
);
