import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseError, MigrationError, migrateDriver, openDriver, openRepository } from '../src/index.ts';
import { silentLogger } from '../src/logger.ts';
import { newKey, pending } from './helpers.ts';

/** What the SQLite driver sets up on the file it opens (sqlite.ts), seen from another connection. */
describe('the SQLite file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is created with its directories, migrated, in WAL mode, and its foreign keys enforced', async () => {
    const file = path.join(dir, 'a', 'b', 'images.db');
    const repo = await openRepository({ database: { kind: 'sqlite', path: file } });
    const other = new DatabaseSync(file);
    try {
      const key = newKey();
      const row = await repo.createPending(pending(key));
      await repo.recordAnnotation({
        originalKey: key,
        annotation: 'A kite.',
        annotator: 'local',
        model: 'v1',
        tags: [{ label: 'kite', confidence: 0.9, source: 'local' }],
      });
      expect(other.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      const tags = other.prepare('SELECT COUNT(*) AS n FROM image_tags WHERE image_id = ?');
      expect(tags.get(row.id)).toEqual({ n: 1 });
      // ON DELETE CASCADE: the repository's connection enforces foreign keys.
      await repo.deleteByOriginalKey(key);
      expect(tags.get(row.id)).toEqual({ n: 0 });
    } finally {
      other.close();
      await repo.close();
    }
  });

  it('is closed by close(), once', async () => {
    const repo = await openRepository({ database: { kind: 'sqlite', path: path.join(dir, 'images.db') } });
    await repo.ping();
    await repo.close();
    await expect(repo.ping()).rejects.toThrow(DatabaseError);
    await expect(repo.close()).resolves.toBeUndefined();
  });

  it('ends the transaction of a migration that fails, so the same connection can migrate again', async () => {
    const driver = openDriver({ kind: 'sqlite', path: path.join(dir, 'images.db') }, silentLogger);
    try {
      const table = (name: string, sql: string) => ({ version: 1, name, mysql: [], sqlite: [sql] });
      await expect(
        migrateDriver(driver, { migrations: [table('broken', 'CREATE TABLE broken (x INTEGER')] }),
      ).rejects.toThrow(MigrationError);
      await migrateDriver(driver, { migrations: [table('fixed', 'CREATE TABLE fixed (x INTEGER)')] });
      expect(
        await driver.all("SELECT name FROM sqlite_master WHERE name IN ('broken', 'fixed')", []),
      ).toEqual([{ name: 'fixed' }]);
    } finally {
      await driver.close();
    }
  });

  it('keeps nothing of a migration that fails', async () => {
    const file = path.join(dir, 'images.db');
    const migration = {
      version: 1,
      name: 'half done',
      mysql: [],
      sqlite: ['CREATE TABLE kept (x INTEGER)', 'CREATE TABLE broken (x INTEGER'],
    };
    await expect(
      openRepository({ database: { kind: 'sqlite', path: file }, migrations: [migration] }),
    ).rejects.toThrow(MigrationError);
    const db = new DatabaseSync(file);
    try {
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'kept'").all()).toEqual([]);
    } finally {
      db.close();
    }
  });
});
