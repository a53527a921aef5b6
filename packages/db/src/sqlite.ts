import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { sqliteDialect } from './dialect.ts';
import type { Driver, MigrationSession, RunResult, SqlValue } from './driver.ts';

export interface SqliteDriverOptions {
  /** A file path (its directory is created), or ":memory:". */
  readonly path: string;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. */
  readonly busyTimeoutMs?: number;
}

/**
 * The embedded default: node:sqlite (built into Node 24, no native compile, unlike
 * better-sqlite3). Calls are synchronous underneath; the async surface matches the MySQL driver.
 */
export function openSqliteDriver(options: SqliteDriverOptions): Driver {
  if (options.path !== ':memory:') mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
  const db = new DatabaseSync(options.path);
  // Wait for, rather than fail on, another process's write lock (pragma before WAL: switching
  // journal mode itself may need the lock).
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  // WAL: readers (the gallery) do not block the writer (the workers), and vice versa.
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  // image_tags' ON DELETE CASCADE (migration 12): SQLite enforces foreign keys only when asked.
  db.exec('PRAGMA foreign_keys = ON');

  const statements = new Map<string, StatementSync>();
  const prepare = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const run = async (sql: string, params: readonly SqlValue[]): Promise<RunResult> => {
    const result = prepare(sql).run(...params);
    return { changes: Number(result.changes), insertId: Number(result.lastInsertRowid) };
  };
  const all = async <T>(sql: string, params: readonly SqlValue[]): Promise<T[]> =>
    prepare(sql).all(...params) as T[];

  return {
    dialect: sqliteDialect,
    run,
    all,
    async withMigrationLock(fn) {
      // BEGIN IMMEDIATE takes the write lock now (waiting up to busy_timeout), so two processes
      // cannot both read "version 1 missing" and both apply it. SQLite DDL is transactional.
      db.exec('BEGIN IMMEDIATE');
      try {
        const session: MigrationSession = {
          exec: async (sql) => {
            db.exec(sql);
          },
          run: async (sql, params) => {
            await run(sql, params);
          },
          all,
        };
        const result = await fn(session);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    async close() {
      if (db.isOpen) db.close();
    },
  };
}
