import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, type Migration, migrate } from '../src/index.ts';
import { mysqlConfig } from './helpers.ts';

const NEXT = MIGRATIONS.at(-1)!.version + 1;
const LATER: Migration = {
  version: NEXT,
  name: 'test: add a column',
  // Not idempotent on purpose: a second, unserialised run would fail with "Duplicate column".
  mysql: ['ALTER TABLE images ADD COLUMN test_note VARCHAR(20) NULL'],
  sqlite: ['ALTER TABLE images ADD COLUMN test_note TEXT'],
};

async function appliedVersions(url: string): Promise<number[]> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    const [rows] = (await connection.query(
      'SELECT version FROM schema_migrations ORDER BY version',
    )) as unknown as [{ version: number }[]];
    return rows.map((row) => row.version);
  } finally {
    await connection.end();
  }
}

/**
 * Waits until a session of database `schema` (other than `observer`'s) is inside GET_LOCK, as
 * information_schema.processlist shows it: the migrator waiting on the lock, not just unfinished.
 */
async function waitForLockWaiter(observer: mysql.Connection, schema: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const [rows] = (await observer.query(
      `SELECT state FROM information_schema.processlist
        WHERE db = ? AND id <> CONNECTION_ID() AND info LIKE 'SELECT GET_LOCK(%'`,
      [schema],
    )) as unknown as [{ state: string }[]];
    if (rows.length > 0) {
      expect(rows).toEqual([{ state: 'User lock' }]);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no session ever waited on the migration lock');
}

describe.runIf(await mariaDbAvailable())('migrations on MariaDB', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
  });

  it('six processes migrating one fresh database at once all succeed, and each migration runs once', async () => {
    db = await createTestDatabase('db_migrate');
    const database = mysqlConfig(db.url, 2);
    const results = await Promise.all(Array.from({ length: 6 }, () => migrate({ database })));
    const latest = MIGRATIONS.at(-1)!.version;
    expect(results.flatMap((result) => result.applied)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(results.map((result) => result.current)).toEqual(Array(6).fill(latest));
    expect(await appliedVersions(db.url)).toEqual(MIGRATIONS.map((m) => m.version));

    // A release with one more migration, booted by four instances together: it applies once.
    const next = await Promise.all(
      Array.from({ length: 4 }, () => migrate({ database, migrations: [...MIGRATIONS, LATER] })),
    );
    expect(next.flatMap((result) => result.applied)).toEqual([NEXT]);
    expect(await appliedVersions(db.url)).toEqual([...MIGRATIONS.map((m) => m.version), NEXT]);
  });

  it('waits while another session holds the migration lock', async () => {
    db = await createTestDatabase('db_migrate_lock');
    const database = mysqlConfig(db.url, 2);
    await migrate({ database });
    // Take the same named lock the migrator uses, from a separate session.
    const holder = await mysql.createConnection({ uri: db.url });
    try {
      const [[row]] = (await holder.query(
        "SELECT GET_LOCK(CONCAT('annot_migrate_', SHA1(DATABASE())), 5) AS acquired",
      )) as unknown as [[{ acquired: number }]];
      expect(row.acquired).toBe(1);
      let finished = false;
      const running = migrate({ database, migrations: [...MIGRATIONS, LATER] }).then((result) => {
        finished = true;
        return result;
      });
      // The migrator's session is seen on the server, blocked in GET_LOCK on the held lock.
      await waitForLockWaiter(holder, db.name);
      expect(finished).toBe(false);
      expect(await appliedVersions(db.url)).not.toContain(NEXT);
      await holder.query("SELECT RELEASE_LOCK(CONCAT('annot_migrate_', SHA1(DATABASE())))");
      expect((await running).applied).toEqual([NEXT]);
    } finally {
      await holder.end();
    }
  });
});
