export { type CliCommand, parseCliArgs } from './args.ts';
export { type FailureCounts, OutcomeCollector, summarize } from './collector.ts';
export { assertTargetAllowed, isLoopbackHost, RemoteTargetError } from './guard.ts';
export {
  createProgressPrinter,
  formatProgress,
  type ProgressPrinter,
  type ProgressStream,
} from './progress.ts';
export { alignColumns, renderJson, renderText } from './report.ts';
export { InvalidOptionsError, LoadTestError, type RunHooks, runLoadTest } from './run.ts';
export {
  DEFAULTS,
  type LatencySummary,
  type LoadTestOptions,
  type ProgressSnapshot,
  type Report,
  type StopReason,
} from './types.ts';
export {
  ArgumentError,
  parseFraction,
  parseHeaders,
  parseMethod,
  parsePositiveInt,
  parseSeconds,
  parseTargetUrl,
} from './values.ts';
