import { createTestDatabase, mariaDbAvailable } from '@annot/testing';
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { isTransientLockError, withLockRetry } from '../src/index.ts';

/** Provokes a real InnoDB deadlock between two sessions and returns the error the loser got. */
async function realDeadlock(): Promise<unknown> {
  const db = await createTestDatabase('db_deadlock');
  const a = await mysql.createConnection({ uri: db.url });
  const b = await mysql.createConnection({ uri: db.url });
  try {
    await a.query('CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await a.query('INSERT INTO t VALUES (1, 0), (2, 0)');
    await a.beginTransaction();
    await b.beginTransaction();
    await a.query('UPDATE t SET v = 1 WHERE id = 1');
    await b.query('UPDATE t SET v = 1 WHERE id = 2');
    const outcomes = await Promise.allSettled([
      a.query('UPDATE t SET v = 2 WHERE id = 2'),
      b.query('UPDATE t SET v = 2 WHERE id = 1'),
    ]);
    const loser = outcomes.find((outcome) => outcome.status === 'rejected');
    if (!loser) throw new Error('expected InnoDB to report a deadlock');
    return loser.reason;
  } finally {
    await Promise.allSettled([a.end(), b.end()]);
    await db.drop();
  }
}

describe.runIf(await mariaDbAvailable())('retrying InnoDB lock conflicts', () => {
  it('recognises a real deadlock and retries it until the statement succeeds', async () => {
    const deadlock = await realDeadlock();
    expect((deadlock as { errno: number }).errno).toBe(1213);
    expect(isTransientLockError(deadlock)).toBe(true);

    let calls = 0;
    const retries: number[] = [];
    const result = await withLockRetry(
      async () => {
        calls++;
        if (calls < 3) throw deadlock;
        return 'written';
      },
      { baseDelayMs: 1, onRetry: ({ attempt }) => retries.push(attempt) },
    );
    expect(result).toBe('written');
    expect(retries).toEqual([1, 2]);
  });

  it('gives up after the last attempt, with the deadlock error', async () => {
    const deadlock = await realDeadlock();
    let calls = 0;
    const failing = withLockRetry(
      async () => {
        calls++;
        throw deadlock;
      },
      { attempts: 3, baseDelayMs: 1 },
    );
    await expect(failing).rejects.toBe(deadlock);
    expect(calls).toBe(3);
  });

  it('does not retry other errors', async () => {
    const db = await createTestDatabase('db_noretry');
    const connection = await mysql.createConnection({ uri: db.url });
    try {
      let calls = 0;
      const failing = withLockRetry(() => {
        calls++;
        return connection.query('SELECT * FROM no_such_table');
      });
      await expect(failing).rejects.toMatchObject({ errno: 1146 });
      expect(calls).toBe(1);
    } finally {
      await connection.end();
      await db.drop();
    }
  });
});
