export { lazyWorker } from './lazy.ts';
export {
  createPowertoolsLogger,
  detailsFirstLoggerFor,
  POWERTOOLS_LEVELS,
  workerLoggerFor,
} from './logger.ts';
export {
  createMigrationHandler,
  type MigrationHandlerOptions,
  type MigrationRequest,
  type MigrationResponse,
} from './migrate.ts';
export { createLambdaRuntime, type LambdaRuntime, type LambdaRuntimeOptions } from './runtime.ts';
