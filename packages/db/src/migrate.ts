import type { DatabaseConfig } from '@annot/config';
import type { Driver } from './driver.ts';
import { MigrationError } from './errors.ts';
import { type DbLogger, silentLogger } from './logger.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { type DriverOptions, openDriver } from './open-driver.ts';

export interface MigrationResult {
  /** Versions this call applied; empty when another process had already applied them. */
  readonly applied: number[];
  /** The newest version the database has after this call. */
  readonly current: number;
}

const SCHEMA_MIGRATIONS = {
  mysql: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    applied_at DATETIME(3) NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`,
} as const;

function checkList(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (!Number.isInteger(migration.version) || (previous && migration.version <= previous.version)) {
      throw new MigrationError(`Migration versions must be increasing integers (at "${migration.name}")`);
    }
  });
}

/**
 * Applies pending migrations under the driver's migration lock: read `schema_migrations`, apply
 * what is missing, record each version. Several processes may call this at once; exactly one
 * applies each migration and the others find it applied.
 */
export async function migrateDriver(
  driver: Driver,
  options: { migrations?: readonly Migration[]; logger?: DbLogger } = {},
): Promise<MigrationResult> {
  const migrations = options.migrations ?? MIGRATIONS;
  const logger = options.logger ?? silentLogger;
  const dialect = driver.dialect;
  checkList(migrations);
  return driver.withMigrationLock(async (session) => {
    await session.exec(SCHEMA_MIGRATIONS[dialect.name]);
    const rows = await session.all<{ version: unknown }>('SELECT version FROM schema_migrations', []);
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        for (const statement of migration[dialect.name]) await session.exec(statement);
        await migration.backfill?.(session, dialect.name);
        await session.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          dialect.toDbTime(Date.now()),
        ]);
      } catch (error) {
        throw new MigrationError(
          `Migration ${migration.version} (${migration.name}) failed on ${dialect.name}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      applied.push(migration.version);
      logger.info({ version: migration.version, name: migration.name }, 'applied database migration');
    }
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...done].filter((version) => !known.has(version));
    if (unknown.length > 0) {
      // A newer release migrated this database (rolling deploy): carry on, but say so.
      logger.warn({ versions: unknown }, 'database has migrations this release does not know');
    }
    const current = Math.max(0, ...done, ...applied);
    return { applied, current };
  });
}

/** Opens the configured database, applies pending migrations, and closes it again. */
export async function migrate(
  options: DriverOptions & {
    database: DatabaseConfig;
    migrations?: readonly Migration[];
    logger?: DbLogger;
  },
): Promise<MigrationResult> {
  const driver = openDriver(options.database, options.logger ?? silentLogger, options);
  try {
    return await migrateDriver(driver, options);
  } finally {
    await driver.close();
  }
}
