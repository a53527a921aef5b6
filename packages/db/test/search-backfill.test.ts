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

/**
 * Rows written before migrations 11-13 stay searchable once the full-text index is rebuilt over
 * four columns, and their later tags and text are searched and filtered too.
 */
async function rebuildsForTags(database: DatabaseConfig): Promise<void> {
  await migrate({ database, migrations: MIGRATIONS.filter((m) => m.version < 11) });
  // As that release's repository wrote it (today's reads need the new columns).
  const driver = openDriver(database, silentLogger);
  const dialect = database.kind === 'mysql' ? mysqlDialect : sqliteDialect;
  const now = dialect.toDbTime(Date.now());
  const key = newKey();
  await driver.run(
    `INSERT INTO images (filename, search_filename, s3_key_original, s3_key_original_sha256, annotation_status, thumbnail_status, byte_size, uploaded_at, updated_at)
     VALUES ('Harbour_crane.jpg', 'harbour crane jpg', ?, ?, 'pending', 'completed', 10, ?, ?)`,
    [key, keyHash(key), now, now],
  );
  await driver.close();
  expect((await migrate({ database })).applied).toEqual([11, 12, 13]);
  const repo = await openRepository({ database });
  try {
    const names = async (options: { search?: string; tag?: string }) =>
      (await repo.listPage({ limit: 10, ...options })).images.map((image) => image.filename);
    expect(await names({ search: 'harbour' })).toEqual(['Harbour_crane.jpg']);
    expect(await names({ tag: 'crane' })).toEqual([]);
    await repo.recordAnnotation({
      originalKey: key,
      annotation: 'A crane.',
      annotator: 'local',
      model: 'v1',
      tags: [{ label: 'Crane', confidence: 0.9, source: 'test' }],
      textInImage: 'LIEBHERR',
    });
    expect(await names({ search: 'liebherr harbour' })).toEqual(['Harbour_crane.jpg']);
    expect(await names({ tag: 'crane', search: 'harb' })).toEqual(['Harbour_crane.jpg']);
  } finally {
    await repo.close();
  }
}

const mariaDb = await mariaDbAvailable();

describe('migrations 11-13 on existing rows', () => {
  it('keeps SQLite rows searchable and indexes their tags and text', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-tags-'));
    try {
      await rebuildsForTags({ kind: 'sqlite', path: path.join(dir, 'images.db') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.runIf(mariaDb)('keeps MariaDB rows searchable and indexes their tags and text', async () => {
    const db = await createTestDatabase('db_tags_rebuild');
    try {
      await rebuildsForTags(mysqlConfig(db.url, 1));
    } finally {
      await db.drop();
    }
  });
});

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
