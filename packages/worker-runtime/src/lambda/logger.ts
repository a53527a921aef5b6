import type { LogLevel } from '@annot/config';
import type { DbLogger } from '@annot/db';
import type { StorageLogger } from '@annot/storage';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogLevel as PowertoolsLevel } from '@aws-lambda-powertools/logger/types';
import type { WorkerLogger } from '../types.ts';

/** The platform's LOG_LEVEL names, in Powertools' spelling. */
export const POWERTOOLS_LEVELS: Record<LogLevel, PowertoolsLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'CRITICAL',
  silent: 'SILENT',
};

/** A Powertools Logger writing JSON lines tagged with the service name, at the platform's level. */
export function createPowertoolsLogger(serviceName: string, level: LogLevel): Logger {
  return new Logger({ serviceName, logLevel: POWERTOOLS_LEVELS[level] });
}

// Powertools types its extra arguments as LogAttributes (or a lone Error/string); the workers only
// ever pass attribute objects, so this adapter is a pure type bridge.
const attributes = (extra: object[]) => extra as LogAttributes[];

/** The workers' logger over a Powertools Logger: each extra object becomes top-level JSON keys. */
export function workerLoggerFor(logger: Logger): WorkerLogger {
  return {
    debug: (message, ...extra) => logger.debug(message, ...attributes(extra)),
    info: (message, ...extra) => logger.info(message, ...attributes(extra)),
    warn: (message, ...extra) => logger.warn(message, ...attributes(extra)),
    error: (message, ...extra) => logger.error(message, ...attributes(extra)),
  };
}

/**
 * The same logger in the pino shape the database and storage packages take (`warn(details,
 * message)`), so their warnings (lock retries, a refreshed password, a failed multipart abort)
 * reach the function's log too.
 */
export function detailsFirstLoggerFor(logger: Logger): DbLogger & StorageLogger {
  return {
    info: (details, message) => logger.info(message, details as LogAttributes),
    warn: (details, message) => logger.warn(message, details as LogAttributes),
  };
}
