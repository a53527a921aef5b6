import { type DatabaseConfig, numericDefault } from '@annot/config';
import type { Driver } from './driver.ts';
import { DatabaseConfigError } from './errors.ts';
import type { DbLogger } from './logger.ts';
import { openMySqlDriver } from './mysql.ts';
import type { CredentialsRefresher } from './rotating-pool.ts';
import { openSqliteDriver } from './sqlite.ts';

export interface DriverOptions {
  /** MySQL only: returns a new mysql:// URL when the server refuses the login (rotated password). */
  readonly refreshCredentials?: CredentialsRefresher | undefined;
  /** MySQL only: the least time between two refreshes (default 10 s). */
  readonly minRefreshIntervalMs?: number | undefined;
  /** The clock, in ms (default Date.now): MySQL spaces credential refreshes by it; tests step one. */
  readonly now?: (() => number) | undefined;
}

/** The driver for a configured database: a mysql2 pool, or an embedded SQLite file. */
export function openDriver(config: DatabaseConfig, logger: DbLogger, options: DriverOptions = {}): Driver {
  const queryTimeoutMs = config.queryTimeoutMs ?? numericDefault('DB_QUERY_TIMEOUT_MS');
  // SQLite is a local file: nothing to time out but the wait for another writer's lock.
  if (config.kind === 'sqlite') return openSqliteDriver({ path: config.path, busyTimeoutMs: queryTimeoutMs });
  if (!config.url) {
    throw new DatabaseConfigError(
      'The MySQL database has no URL: set DATABASE_URL, or call resolveSecrets() to build it from DATABASE_SECRET_ARN',
    );
  }
  return openMySqlDriver({
    url: config.url,
    poolSize: config.poolSize,
    tls: config.tls,
    queryTimeoutMs,
    logger,
    refreshCredentials: options.refreshCredentials,
    minRefreshIntervalMs: options.minRefreshIntervalMs,
    now: options.now,
  });
}
