import { strykerConfig } from '../../tools/mutate/stryker-base.mjs';

export default strykerConfig('object-keys', import.meta.dirname, { mutate: ['src/index.ts'] });
