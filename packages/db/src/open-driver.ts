import type { DatabaseConfig } from '@annot/config';
import type { Driver } from './driver.ts';
import { DatabaseConfigError } from './errors.ts';
import type { DbLogger } from './logger.ts';
import { openMySqlDriver } from './mysql.ts';
import { openSqliteDriver } from './sqlite.ts';

/** The driver for a configured database: a mysql2 pool, or an embedded SQLite file. */
export function openDriver(config: DatabaseConfig, logger: DbLogger): Driver {
  if (config.kind === 'sqlite') return openSqliteDriver({ path: config.path });
  if (!config.url) {
    throw new DatabaseConfigError(
      'The MySQL database has no URL: set DATABASE_URL, or call resolveSecrets() to build it from DATABASE_SECRET_ARN',
    );
  }
  return openMySqlDriver({ url: config.url, poolSize: config.poolSize, logger });
}
