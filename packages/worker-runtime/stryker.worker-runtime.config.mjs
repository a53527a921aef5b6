import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// The stage logic every worker shares: intake, already done, claim, work, record, and the
// classification of failures (permanent: recorded; transient: thrown for the platform to retry).
export default strykerConfig('worker-runtime', import.meta.dirname, {
  mutate: ['src/intake.ts', 'src/stage.ts', 'src/failure.ts'],
  concurrency: 1,
});
