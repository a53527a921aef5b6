import { DEFAULTS, type LoadTestOptions } from '../../src/types.ts';

/**
 * Options for a run against `url` as the CLI would build them without flags, but with no request
 * or duration limit: each test file sets the limits and concurrency it is about in `overrides`.
 */
export function runOptions(url: string, overrides: Partial<LoadTestOptions>): LoadTestOptions {
  return {
    url,
    requests: undefined,
    durationSeconds: undefined,
    concurrency: DEFAULTS.concurrency,
    timeoutSeconds: DEFAULTS.timeoutSeconds,
    maxErrorRate: DEFAULTS.maxErrorRate,
    method: 'GET',
    headers: {},
    allowRemote: false,
    ...overrides,
  };
}
