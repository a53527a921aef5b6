import type { WorkerLogger } from '@annot/worker-runtime';
import type { Logger } from 'pino';

/** Adapts pino (object first, then message) to the workers' logger (message first, then objects). */
export function workerLogger(log: Logger): WorkerLogger {
  const merge = (extra: object[]) => Object.assign({}, ...extra) as Record<string, unknown>;
  return {
    debug: (message, ...extra) => log.debug(merge(extra), message),
    info: (message, ...extra) => log.info(merge(extra), message),
    warn: (message, ...extra) => log.warn(merge(extra), message),
    error: (message, ...extra) => log.error(merge(extra), message),
  };
}
