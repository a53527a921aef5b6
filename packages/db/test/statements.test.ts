import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '@annot/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Driver, migrate, openDriver, SqlImageRepository, type SqlValue } from '../src/index.ts';
import { silentLogger } from '../src/logger.ts';
import { newKey, pending } from './helpers.ts';

/**
 * What the repository asks of the database, not only what it returns: a new upload's row costs one
 * statement (issue 14), which no read of the row can tell apart from the upsert and its read-back.
 * The statements are counted on a real SQLite driver; their SQL is the same on both dialects. Each
 * test builds its repository (and so its SQL) itself, as `pnpm mutate` needs (see
 * vitest.mutate-repository.config.ts).
 */
describe('statements per write (SQLite)', () => {
  let dir: string;
  let database: DatabaseConfig;
  let driver: Driver;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-statements-'));
    database = { kind: 'sqlite', path: path.join(dir, 'images.db') };
    await migrate({ database });
    driver = openDriver(database, silentLogger);
  });

  afterAll(async () => {
    await driver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A repository on `on`, and the first words of each statement it runs, in order. */
  const counted = (on: Driver) => {
    const statements: string[] = [];
    const words = (sql: string) => sql.trim().split(/\s+/).slice(0, 3).join(' ');
    const repo = new SqlImageRepository({
      ...on,
      dialect: on.dialect,
      run: (sql: string, params: readonly SqlValue[]) => {
        statements.push(`run ${words(sql)}`);
        return on.run(sql, params);
      },
      all: <T>(sql: string, params: readonly SqlValue[]) => {
        statements.push(`all ${words(sql)}`);
        return on.all<T>(sql, params);
      },
    });
    return { repo, statements };
  };

  it('createPending writes a new key’s row with one INSERT and reads nothing back', async () => {
    const { repo, statements } = counted(driver);
    const key = newKey();
    const record = await repo.createPending(pending(key));
    expect(statements).toEqual(['run INSERT INTO images']);
    expect(await repo.getByOriginalKey(key)).toEqual(record);
  });

  it('for a key that has a row, the INSERT is refused and the upsert merges and reads it back', async () => {
    const { repo, statements } = counted(driver);
    const key = newKey();
    const first = await repo.createPending({ ...pending(key), byteSize: null });
    statements.length = 0;
    const record = await repo.createPending(pending(key, 'Again.jpg'));
    expect(statements).toEqual([
      'run INSERT INTO images',
      'run INSERT INTO images',
      'all SELECT id, filename,',
    ]);
    expect(record).toMatchObject({ id: first.id, filename: 'Again.jpg', byteSize: pending(key).byteSize });
    expect(await repo.getByOriginalKey(key)).toEqual(record);
  });

  it('an INSERT that fails for another reason is not taken for a key that has a row: nothing else runs', async () => {
    const closed = openDriver(database, silentLogger);
    await closed.close();
    const { repo, statements } = counted(closed);
    await expect(repo.createPending(pending(newKey()))).rejects.toThrow(/createPending/);
    expect(statements).toEqual(['run INSERT INTO images']);
  });
});
