export type { Dialect } from './dialect.ts';
export { mysqlDialect, sqliteDialect } from './dialect.ts';
export type { Driver, MigrationSession, RunResult, SqlValue } from './driver.ts';
export * from './errors.ts';
export type { DbLogger } from './logger.ts';
export { type MigrationResult, migrate, migrateDriver } from './migrate.ts';
export { MIGRATIONS, type Migration, schemaFingerprint } from './migrations.ts';
export { type OpenRepositoryOptions, openRepository } from './open.ts';
export { type DriverOptions, openDriver } from './open-driver.ts';
/** The statements the repository runs, for benches that EXPLAIN them (not for apps). */
export { buildQueries } from './queries.ts';
export { MAX_PAGE_SIZE, SqlImageRepository } from './repository.ts';
export { isTransientLockError, withLockRetry } from './retry.ts';
export type { CredentialsRefresher } from './rotating-pool.ts';
export {
  InvalidSearchError,
  MAX_SEARCH_LENGTH,
  MAX_SEARCH_WORDS,
  MIN_WORD_LENGTH,
  STOPWORDS,
  searchText,
  searchWords,
} from './search.ts';
export * from './types.ts';
export { keyHash, LIMITS, MAX_KEY_LENGTH } from './values.ts';
