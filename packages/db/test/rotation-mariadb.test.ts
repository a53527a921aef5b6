import { mariaDbAvailable } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, openDriver, openRepository } from '../src/index.ts';
import { mysqlConfig, newKey, pending } from './helpers.ts';
import {
  accessDeniedErrors,
  createRotatingUser,
  eventually,
  type RotatingUser,
  recordingLogger,
  steppedClock,
  variableRefresher,
} from './rotation-helpers.ts';

// RDS rotates the managed master password: sessions already open keep working, new logins are
// refused (1045). These tests rotate a real MariaDB user's password under an open repository.
describe.runIf(await mariaDbAvailable())('credential rotation on MariaDB', () => {
  let user: RotatingUser;
  beforeAll(async () => {
    user = await createRotatingUser('first-Secret-1');
  });
  afterAll(async () => {
    await user?.drop();
  });

  it('picks up a rotated password with one refresh, however many operations were refused', async () => {
    await user.setPassword('first-Secret-1');
    const refresher = variableRefresher(user.urlWith('first-Secret-1'));
    const logger = recordingLogger();
    const repo = await openRepository({
      database: mysqlConfig(user.urlWith('first-Secret-1'), 4),
      refreshCredentials: refresher.refresh,
      logger,
    });
    try {
      const key = newKey();
      const created = await repo.createPending(pending(key));

      await user.setPassword('rotated-Secret-2');
      refresher.state.current = user.urlWith('rotated-Secret-2');
      await user.killSessions();

      // Four operations need four new logins at once: all are refused, one refresh serves them.
      // The refresh is held until the server has refused all four logins.
      refresher.hold();
      const refusedBefore = await accessDeniedErrors();
      const operations = Promise.all([
        repo.getById(created.id),
        repo.getByOriginalKey(key),
        repo.statuses([created.id]),
        repo.listPage({ limit: 10 }),
      ]);
      await eventually(async () => (await accessDeniedErrors()) >= refusedBefore + 4, 'four refused logins');
      refresher.release();
      const found = await operations;
      expect(found[0]?.id).toBe(created.id);
      expect(found[1]?.originalKey).toBe(key);
      expect(refresher.state.calls).toBe(1);

      await repo.recordThumbnail({ originalKey: key, thumbnailKey: `thumbnails/${key}` });
      expect((await repo.getById(created.id))?.thumbnailKey).toBe(`thumbnails/${key}`);
      expect(refresher.state.calls).toBe(1);

      expect(logger.warnings).toEqual([
        'database refused the credentials: refreshing them',
        'database pool rebuilt with refreshed credentials',
      ]);
      expect(logger.text()).toContain(user.name);
      expect(logger.text()).not.toContain('Secret');
    } finally {
      await repo.close();
    }
  });

  it('surfaces refused refreshed credentials, refreshing at most once per interval', async () => {
    await user.setPassword('third-Secret-3');
    const refresher = variableRefresher(user.urlWith('wrong-Secret'));
    const clock = steppedClock();
    const repo = await openRepository({
      database: mysqlConfig(user.urlWith('third-Secret-3'), 2),
      refreshCredentials: refresher.refresh,
      minRefreshIntervalMs: 1500,
      now: clock.now,
      migrate: false,
    });
    try {
      await repo.ping();
      await user.setPassword('fourth-Secret-4');
      await user.killSessions();

      const first = await repo.ping().catch((error: unknown) => error);
      expect(first).toBeInstanceOf(DatabaseError);
      expect((first as DatabaseError).cause).toMatchObject({ errno: 1045 });
      expect(refresher.state.calls).toBe(1);

      // Within the interval (to its last millisecond) a refusal surfaces at once, without asking
      // the secret again.
      await expect(repo.ping()).rejects.toMatchObject({ cause: { errno: 1045 } });
      clock.advance(1499);
      await expect(repo.ping()).rejects.toMatchObject({ cause: { errno: 1045 } });
      expect(refresher.state.calls).toBe(1);

      // Once the interval has passed, the next refusal refreshes again, and the right secret heals it.
      refresher.state.current = user.urlWith('fourth-Secret-4');
      clock.advance(1);
      await repo.ping();
      expect(refresher.state.calls).toBe(2);
    } finally {
      await repo.close();
    }
  });

  it('ends the old pool only once the operations holding it are done', async () => {
    await user.setPassword('fifth-Secret-5');
    await user.killSessions();
    const refresher = variableRefresher(user.urlWith('fifth-Secret-5'));
    const driver = openDriver(mysqlConfig(user.urlWith('fifth-Secret-5'), 2), recordingLogger(), {
      refreshCredentials: refresher.refresh,
    });
    try {
      // The migration lock holds one connection of the old pool across several statements.
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let holding = () => {};
      const held = new Promise<void>((resolve) => {
        holding = resolve;
      });
      const migration = driver.withMigrationLock(async (session) => {
        holding();
        await gate;
        return session.all<{ answer: number }>('SELECT 42 AS answer', []);
      });
      await held;

      await user.setPassword('sixth-Secret-6');
      refresher.state.current = user.urlWith('sixth-Secret-6');
      // The old pool's only session is taken: this needs a new login, which is refused.
      expect(await driver.all<{ two: number }>('SELECT 2 AS two', [])).toEqual([{ two: 2 }]);
      expect(refresher.state.calls).toBe(1);
      expect(await user.sessions()).toHaveLength(2);

      release();
      expect((await migration)[0]?.answer).toBe(42);
      // Then the old pool ends: only the new pool's session is left.
      await eventually(async () => (await user.sessions()).length === 1, 'the old pool to end');
    } finally {
      await driver.close();
    }
    await eventually(async () => (await user.sessions()).length === 0, 'close to end every pool');
  });
});
