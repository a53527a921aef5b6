import { createTestDatabase, mariaDbAvailable } from '@annot/testing';
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

// The rules of the retry on their own (no server needed): which errors are InnoDB's "try again",
// and the backoff, with Math.random pinned so the bound of each wait is visible.
describe('the lock retry rules', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes deadlocks (1213) and lock wait timeouts (1205), nothing else and nothing without an errno', () => {
    expect(isTransientLockError({ errno: 1213 })).toBe(true);
    expect(isTransientLockError({ errno: 1205 })).toBe(true);
    for (const other of [{ errno: 1146 }, { errno: '1213' }, {}, null, undefined, new Error('x')]) {
      expect(isTransientLockError(other)).toBe(false);
    }
  });

  it('waits a random fraction of base x 2^attempt, 5 ms by default, six attempts by default', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const delays: number[] = [];
    let calls = 0;
    const failing = withLockRetry(
      async () => {
        calls++;
        throw Object.assign(new Error('Deadlock found'), { errno: 1213 });
      },
      { onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    await expect(failing).rejects.toMatchObject({ errno: 1213 });
    expect(calls).toBe(6);
    expect(delays).toEqual([10, 20, 40, 80, 160]);
  });

  it('scales the waits by baseDelayMs', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const delays: number[] = [];
    let calls = 0;
    const result = await withLockRetry(
      async () => {
        if (++calls < 3) throw Object.assign(new Error('Lock wait timeout'), { errno: 1205 });
        return 'done';
      },
      { baseDelayMs: 2, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    expect(result).toBe('done');
    expect(delays).toEqual([2, 4]);
  });
});
