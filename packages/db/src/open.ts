import type { DatabaseConfig } from '@annot/config';
import { type DbLogger, silentLogger } from './logger.ts';
import { migrateDriver } from './migrate.ts';
import type { Migration } from './migrations.ts';
import { type DriverOptions, openDriver } from './open-driver.ts';
import { SqlImageRepository } from './repository.ts';
import type { ImageRepository } from './types.ts';

export interface OpenRepositoryOptions extends DriverOptions {
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
  return new SqlImageRepository(driver, options.now ? { now: options.now } : {});
}
