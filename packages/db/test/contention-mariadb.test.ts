import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DbLogger, type ImageRepository, openRepository } from '../src/index.ts';
import { mysqlConfig, newKey } from './helpers.ts';

/**
 * Real InnoDB deadlocks on a repository write, forced from other MariaDB sessions (raw mysql2
 * connections), with no timing involved: every step waits for a state the server reports.
 *
 * `recordOriginalSize` is one autocommitted `UPDATE images ... WHERE s3_key_original_sha256 = ?`:
 * InnoDB locks the row's entry in the unique key index first, then its clustered (primary key)
 * record. A holder session that locked the clustered record (`SELECT ... WHERE id = ? FOR UPDATE`)
 * makes the UPDATE wait while it holds the index entry; the holder then asks for that index entry
 * (`FORCE INDEX ... FOR UPDATE`), and the two wait on each other: a deadlock. The holder has
 * written rows in this transaction (the ballast), so InnoDB rolls back the lighter one, the
 * repository's UPDATE, with errno 1213, and the repository must retry it. The retried UPDATE then
 * waits behind that holder; the next holder queues for the clustered record, and when the first
 * one commits, the UPDATE gets the index entry and waits for the clustered record again: the next
 * deadlock. Three in a row (the driver allows six attempts) catch a retry limit set too low.
 */
describe.runIf(await mariaDbAvailable())('a repository write in a real deadlock on MariaDB', () => {
  const DEADLOCKS = 3;
  /** InnoDB's information_schema lock tables are a cache refreshed after 100 ms without reads. */
  const LOCK_TABLES_REFRESH_MS = 150;
  let db: TestDatabase;
  let repo: ImageRepository;
  let observer: mysql.Connection;
  const holders: mysql.Connection[] = [];
  /** Every retry the repository logged, in order. */
  const retries: { attempt: number; errno: unknown }[] = [];
  const retryWaiters: { count: number; resolve: () => void }[] = [];
  const logger: DbLogger = {
    info() {},
    warn(details, message) {
      if (message !== 'database lock conflict, retrying') return;
      retries.push({ attempt: details.attempt as number, errno: details.errno });
      for (const waiter of retryWaiters.filter((w) => retries.length >= w.count)) waiter.resolve();
    },
  };
  /** Resolves once the repository has logged `count` retries (a latch on its retry hook). */
  /** How the repository's write ended, once it has. */
  let ended: { found: boolean } | { error: string } | undefined;
  const retried = (count: number) =>
    new Promise<void>((resolve) => {
      if (retries.length >= count) resolve();
      else retryWaiters.push({ count, resolve });
    });

  beforeAll(async () => {
    db = await createTestDatabase('db_contention');
    repo = await openRepository({ database: mysqlConfig(db.url, 2), logger });
    observer = await mysql.createConnection({ uri: db.url });
    await observer.query('CREATE TABLE contention_ballast (session INT, n INT, PRIMARY KEY (session, n))');
    for (let i = 0; i < DEADLOCKS; i++) {
      const holder = await mysql.createConnection({ uri: db.url });
      // Should anything go wrong, a holder waits 5 s at most instead of InnoDB's 50.
      await holder.query('SET SESSION innodb_lock_wait_timeout = 5');
      holders.push(holder);
    }
  });

  afterAll(async () => {
    await repo?.close();
    await observer?.end();
    await Promise.all(holders.map((holder) => holder.end()));
    await db?.drop();
  });

  /** Starts a transaction that wrote rows (so InnoDB weighs it heavier) and locks the row's clustered record. */
  async function lockRow(holder: mysql.Connection, index: number, id: number): Promise<void> {
    await holder.query('BEGIN');
    const ballast = Array.from({ length: 50 }, (_, n) => [index, n]);
    await holder.query('INSERT INTO contention_ballast (session, n) VALUES ?', [ballast]);
    await holder.query('SELECT id FROM images WHERE id = ? FOR UPDATE', [id]);
  }

  /**
   * Waits until `waiter` (a holder, or else the repository: any session that is not a holder) waits
   * for a lock that `holder` has.
   */
  async function blockedBy(holder: mysql.Connection, waiter?: mysql.Connection): Promise<void> {
    if (!waiter && ended) {
      throw new Error(`the repository's write ended while it should be waiting: ${JSON.stringify(ended)}`);
    }
    const condition = waiter ? 'r.trx_mysql_thread_id = ?' : 'r.trx_mysql_thread_id NOT IN (?)';
    for (;;) {
      const [rows] = (await observer.query(
        `SELECT r.trx_mysql_thread_id AS waiting
           FROM information_schema.INNODB_LOCK_WAITS w
           JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
           JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
          WHERE b.trx_mysql_thread_id = ? AND ${condition}`,
        [holder.threadId, waiter ? waiter.threadId : holders.map((h) => h.threadId)],
      )) as unknown as [{ waiting: number }[]];
      if (rows.length > 0) return;
      if (!waiter && ended) {
        throw new Error(`the repository's write ended while it should be waiting: ${JSON.stringify(ended)}`);
      }
      // Polls the server's own lock table for a state (no race against a timer). InnoDB refreshes
      // these information_schema tables only once they have gone unread for 100 ms, so a tighter
      // loop would read the same stale snapshot for ever.
      await sleep(LOCK_TABLES_REFRESH_MS);
    }
  }

  it(`retries the UPDATE through ${DEADLOCKS} deadlocks in a row, then records it`, async () => {
    const key = newKey('contended.jpg');
    const pending = await repo.createPending({
      filename: 'contended.jpg',
      originalKey: key,
      contentType: 'image/jpeg',
      byteSize: null,
      width: 10,
      height: 10,
    });
    const [[{ hash }]] = (await observer.query(
      'SELECT s3_key_original_sha256 AS hash FROM images WHERE id = ?',
      [pending.id],
    )) as unknown as [[{ hash: Buffer }]];
    const byKeyHash =
      'SELECT id FROM images FORCE INDEX (images_original_sha256) WHERE s3_key_original_sha256 = ? FOR UPDATE';

    await lockRow(holders[0]!, 0, pending.id);
    const write = repo.recordOriginalSize(key, 4321);
    // Settled either way from here on, so a failure is reported by the assertions below.
    const outcome = write.then(
      (found) => (ended = { found }),
      (error: unknown) => (ended = { error: String(error) }),
    );

    for (let round = 0; round < DEADLOCKS; round++) {
      const holder = holders[round]!;
      await blockedBy(holder);
      // The holder asks for the index entry the UPDATE holds: InnoDB breaks the cycle by rolling
      // back the UPDATE, and the holder gets the lock.
      await holder.query(byKeyHash, [hash]);
      // The deadlock's victim is retried, unless the write gave up (which fails the test here).
      await Promise.race([
        retried(round + 1),
        outcome.then((result) => {
          throw new Error(
            `the repository's write ended after ${round + 1} deadlock(s): ${JSON.stringify(result)}`,
          );
        }),
      ]);
      const next = holders[round + 1];
      if (next) {
        // The next holder queues for the clustered record, the retried UPDATE for the index entry;
        // when this holder commits, each gets the lock it waits for, and the UPDATE is blocked again.
        const locked = lockRow(next, round + 1, pending.id);
        await blockedBy(holder, next);
        await blockedBy(holder);
        await holder.query('COMMIT');
        await locked;
      } else {
        await blockedBy(holder);
        await holder.query('COMMIT');
      }
    }

    expect(await outcome).toEqual({ found: true });
    expect(retries).toEqual(Array.from({ length: DEADLOCKS }, (_, i) => ({ attempt: i + 1, errno: 1213 })));
    expect((await repo.getByOriginalKey(key))?.byteSize).toBe(4321);
  });
});
