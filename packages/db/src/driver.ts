import type { Dialect } from './dialect.ts';

export type SqlValue = string | number | Buffer | null;

/** A connection that holds the migration lock (see Driver.withMigrationLock). */
export interface MigrationSession {
  /** Runs DDL or other statements without parameters. */
  exec(sql: string): Promise<void>;
  run(sql: string, params: readonly SqlValue[]): Promise<void>;
  all<T>(sql: string, params: readonly SqlValue[]): Promise<T[]>;
}

/** What a write statement did. */
export interface RunResult {
  /**
   * Rows the statement matched: for an UPDATE, every row its WHERE found, changed or not (SQLite
   * counts them so; MySQL does with the FOUND_ROWS client flag, which the pool sets).
   */
  readonly changes: number;
  /**
   * The id an INSERT gave the row it inserted (AUTO_INCREMENT on MySQL, the rowid on SQLite).
   * Read it only after an INSERT that inserted one row: otherwise it means nothing.
   */
  readonly insertId: number;
}

/** The few primitives the repository and the migrator need from a database. */
export interface Driver {
  readonly dialect: Dialect;
  /** Runs one statement. On MySQL, deadlocks and lock wait timeouts are retried inside. */
  run(sql: string, params: readonly SqlValue[]): Promise<RunResult>;
  all<T>(sql: string, params: readonly SqlValue[]): Promise<T[]>;
  /**
   * Runs `fn` while holding the database-wide migration lock: a named lock (GET_LOCK) on MySQL,
   * a `BEGIN IMMEDIATE` write transaction on SQLite.
   */
  withMigrationLock<T>(fn: (session: MigrationSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
