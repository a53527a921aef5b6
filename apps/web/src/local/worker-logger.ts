import type { FastifyBaseLogger } from 'fastify';

/** The workers' logger shape (message first, then objects), shared by both worker packages. */
export interface WorkerLogger {
  debug(message: string, ...extra: object[]): void;
  info(message: string, ...extra: object[]): void;
  warn(message: string, ...extra: object[]): void;
  error(message: string, ...extra: object[]): void;
}

/** Adapts pino (object first, then message) to the workers' logger. */
export function workerLogger(log: FastifyBaseLogger): WorkerLogger {
  const merge = (extra: object[]) => Object.assign({}, ...extra) as Record<string, unknown>;
  return {
    debug: (message, ...extra) => log.debug(merge(extra), message),
    info: (message, ...extra) => log.info(merge(extra), message),
    warn: (message, ...extra) => log.warn(merge(extra), message),
    error: (message, ...extra) => log.error(merge(extra), message),
  };
}
