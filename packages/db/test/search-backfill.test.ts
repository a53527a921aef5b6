import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '@annot/config';
import { createTestDatabase, mariaDbAvailable } from '@annot/testing';
import { describe, expect, it } from 'vitest';
import {
  keyHash,
  MIGRATIONS,
  migrate,
  mysqlDialect,
  openDriver,
  openRepository,
  sqliteDialect,
} from '../src/index.ts';
import { silentLogger } from '../src/logger.ts';
import { mysqlConfig, newKey } from './helpers.ts';

/** Rows written by a release before migration 5 are searchable once it has run (its backfill). */
async function backfills(database: DatabaseConfig): Promise<void> {
  await migrate({ database, migrations: MIGRATIONS.filter((m) => m.version < 5) });
  const driver = openDriver(database, silentLogger);
  const dialect = database.kind === 'mysql' ? mysqlDialect : sqliteDialect;
  const now = dialect.toDbTime(Date.now());
  const rows = [
    ['Lighthouse_Café.jpg', 'A red lighthouse on a cliff'],
    ['IMG_0001.jpg', null],
  ] as const;
  for (const [filename, annotation] of rows) {
    const key = newKey();
    await driver.run(
      `INSERT INTO images (filename, s3_key_original, s3_key_original_sha256, annotation, annotation_status, thumbnail_status, byte_size, uploaded_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'completed', 10, ?, ?)`,
      [filename, key, keyHash(key), annotation, annotation ? 'completed' : 'failed', now, now],
    );
  }
  await driver.close();
  expect((await migrate({ database })).applied).toContain(5);
  const repo = await openRepository({ database });
  try {
    const names = async (search: string, status: 'failed' | null = null) =>
      (await repo.listPage({ limit: 10, search, status })).images.map((image) => image.filename);
    expect(await names('cafe')).toEqual(['Lighthouse_Café.jpg']);
    expect(await names('cliff light')).toEqual(['Lighthouse_Café.jpg']);
    expect(await names('img 0001')).toEqual(['IMG_0001.jpg']);
    expect(await names('img', 'failed')).toEqual(['IMG_0001.jpg']);
  } finally {
    await repo.close();
  }
}

const mariaDb = await mariaDbAvailable();

describe('migration 5 on existing rows', () => {
  it('fills in the search text of SQLite rows and indexes them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-backfill-'));
    try {
      await backfills({ kind: 'sqlite', path: path.join(dir, 'images.db') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.runIf(mariaDb)('fills in the search text of MariaDB rows and indexes them', async () => {
    const db = await createTestDatabase('db_backfill');
    try {
      await backfills(mysqlConfig(db.url, 1));
    } finally {
      await db.drop();
    }
  });
});
