import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// Upload acceptance and its cleanup: the row first, the put last, nothing left on any failure.
export default strykerConfig('web-upload', import.meta.dirname, {
  mutate: ['src/upload/accept-file.ts', 'src/upload/duplicates.ts'],
  vitestConfig: 'vitest.mutate-upload.config.ts',
  concurrency: 1,
  // Code the tests run in their beforeAll (an upload made there) gives static mutants, each of which
  // would run every upload test: about half of this module, and hours on a shared 2-core machine.
  // Skipped (reported as ignored); see MUTATION.md.
  ignoreStatic: true,
  timeoutMS: 30_000,
});
