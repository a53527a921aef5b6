import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

// The event parsers and the pattern matcher (the local bus is delivery, not a rule).
export default strykerConfig('events', import.meta.dirname, {
  mutate: ['src/object-created.ts', 'src/stage-requested.ts', 'src/pattern.ts'],
});
