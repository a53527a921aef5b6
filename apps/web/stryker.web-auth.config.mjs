import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// Who may delete and retry an image (the uploader's signed cookie, or the operator token).
export default strykerConfig('web-auth', import.meta.dirname, {
  mutate: ['src/auth/permissions.ts'],
  vitestConfig: 'vitest.mutate-auth.config.ts',
  concurrency: 1,
  timeoutMS: 30_000,
});
