import type { DatabaseConfig } from '@annot/config';
import { DatabaseConfigError } from './errors.ts';
import { type DbLogger, silentLogger } from './logger.ts';
import { migrateDriver } from './migrate.ts';
import type { Migration } from './migrations.ts';
import { type DriverOptions, openDriver } from './open-driver.ts';
import { SqlImageRepository } from './repository.ts';
import type { ImageRepository } from './types.ts';

export interface OpenRepositoryOptions extends DriverOptions {
  /** The read replica's password refresher (DB_READ_HOST with a rotated secret). */
  readonly refreshReplicaCredentials?: DriverOptions['refreshCredentials'];
  readonly database: DatabaseConfig;
  /** Apply pending migrations first (default true; safe with several processes at once). */
  readonly migrate?: boolean;
  readonly logger?: DbLogger;
  /** For tests: the migration list (the clock, DriverOptions.now, also stamps uploaded_at/updated_at). */
  readonly migrations?: readonly Migration[];
}

/** Opens the configured database (MySQL pool or SQLite file), migrates it, returns the repository. */
export async function openRepository(options: OpenRepositoryOptions): Promise<ImageRepository> {
  const logger = options.logger ?? silentLogger;
  const driver = openDriver(options.database, logger, options);
  try {
    if (options.migrate ?? true) {
      const result = await migrateDriver(driver, {
        logger,
        ...(options.migrations && { migrations: options.migrations }),
      });
      logger.info({ dialect: driver.dialect.name, ...result }, 'database schema is current');
    }
  } catch (error) {
    await driver.close();
    throw error;
  }
  const { database } = options;
  let reader: ReturnType<typeof openDriver> | undefined;
  try {
    reader =
      database.kind === 'mysql' && database.replica ? openReplica(database, logger, options) : undefined;
  } catch (error) {
    await driver.close();
    throw error;
  }
  return new SqlImageRepository(driver, {
    ...(options.now && { now: options.now }),
    ...(reader && { reader }),
  });
}

/** The read replica's pool: the primary's settings with the replica's URL. Never migrated. */
function openReplica(
  database: Extract<DatabaseConfig, { kind: 'mysql' }>,
  logger: DbLogger,
  options: OpenRepositoryOptions,
) {
  if (!database.replica?.url) {
    throw new DatabaseConfigError(
      'The read replica has no URL: set DATABASE_READ_URL, or call resolveSecrets() to build it from DB_READ_HOST and DATABASE_SECRET_ARN',
    );
  }
  return openDriver({ ...database, url: database.replica.url }, logger, {
    refreshCredentials: options.refreshReplicaCredentials,
    minRefreshIntervalMs: options.minRefreshIntervalMs,
  });
}
