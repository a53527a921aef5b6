import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `pnpm mutate web-auth` runs against each mutant of the authorisation rules: their own
// test on a real Fastify (the route tests, actions.test.ts, take too long per mutant; MUTATION.md).
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/permissions.test.ts'],
    },
  }),
);
