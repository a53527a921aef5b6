import mysql from 'mysql2/promise';

/** The MariaDB the tests use: TEST_MYSQL_URL, or root without a password on 127.0.0.1:3306. */
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

let availability: Promise<boolean> | undefined;

async function probe(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: TEST_MYSQL_URL, connectTimeout: 3000 });
    await connection.query('SELECT 1');
    await connection.end();
    return true;
  } catch (error) {
    if (process.env.CI) {
      throw new Error(
        `MariaDB is required when CI is set, but ${redact(TEST_MYSQL_URL)} does not answer: ${(error as Error).message}`,
      );
    }
    console.warn(
      `SKIPPING MariaDB tests: ${redact(TEST_MYSQL_URL)} does not answer (${(error as Error).message}). ` +
        'Start MariaDB on 127.0.0.1:3306 (root, no password) or set TEST_MYSQL_URL to enable them.',
    );
    return false;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/**
 * True when MariaDB answers. False (with one loud warning line) when it does not, outside CI.
 * Under CI=true an unreachable server throws, so the suite fails instead of skipping.
 * Use with top-level await: `describe.runIf(await mariaDbAvailable())(...)`.
 */
export function mariaDbAvailable(): Promise<boolean> {
  availability ??= probe();
  return availability;
}

export interface TestDatabase {
  /** mysql:// URL of a fresh, empty database. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** Creates a fresh database for one test file, so parallel runs cannot disturb each other. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    .replace(/[^A-Za-z0-9_]/g, '_')
    .slice(0, 64);
  const admin = await mysql.createConnection({ uri: TEST_MYSQL_URL });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(TEST_MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const connection = await mysql.createConnection({ uri: TEST_MYSQL_URL });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}

export interface ReadOnlyUser {
  /** mysql:// URL of the database as a user who may only SELECT from it. */
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A user with SELECT on one test database and nothing else: it stands in for a read replica's
 * endpoint, so a write routed to it fails loudly (ER_TABLEACCESS_DENIED_ERROR) instead of passing.
 */
export async function createReadOnlyUser(database: TestDatabase): Promise<ReadOnlyUser> {
  const user = `ro_${Math.random().toString(36).slice(2, 12)}`;
  const password = `pw_${Math.random().toString(36).slice(2, 14)}`;
  const admin = await mysql.createConnection({ uri: TEST_MYSQL_URL });
  const host = new URL(TEST_MYSQL_URL).hostname === 'localhost' ? 'localhost' : '%';
  try {
    await admin.query(`CREATE USER ?@? IDENTIFIED BY ?`, [user, host, password]);
    await admin.query(`GRANT SELECT ON \`${database.name}\`.* TO ?@?`, [user, host]);
  } finally {
    await admin.end();
  }
  const url = new URL(database.url);
  url.username = user;
  url.password = password;
  return {
    url: url.toString(),
    async drop() {
      const connection = await mysql.createConnection({ uri: TEST_MYSQL_URL });
      await connection.query(`DROP USER IF EXISTS ?@?`, [user, host]);
      await connection.end();
    },
  };
}
