import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// Upload acceptance and its cleanup: the row first, the put last, nothing left on any failure.
export default strykerConfig('web-upload', import.meta.dirname, {
  mutate: ['src/upload/accept-file.ts', 'src/upload/duplicates.ts'],
  vitestConfig: 'vitest.mutate-upload.config.ts',
  concurrency: 1,
  timeoutMS: 30_000,
});
