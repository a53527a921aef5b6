import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.ts';
import { mysqlConfig } from './helpers.ts';

// InnoDB's limit for one index (DYNAMIC/COMPRESSED rows). MariaDB may accept longer unique keys
// by silently turning them into hash indexes, MySQL 8 refuses them (error 1071), so the schema is
// checked against the limit explicitly rather than by "it migrated on MariaDB".
const INNODB_MAX_KEY_BYTES = 3072;
const FIXED_BYTES: Record<string, number> = { int: 4, bigint: 8, datetime: 8 };

interface IndexedColumn {
  TABLE_NAME: string;
  INDEX_NAME: string;
  COLUMN_NAME: string;
  DATA_TYPE: string;
  CHARACTER_OCTET_LENGTH: number | null;
  CHARACTER_MAXIMUM_LENGTH: number | null;
  SUB_PART: number | null;
  INDEX_TYPE: string;
}

describe.runIf(await mariaDbAvailable())('the MySQL schema', () => {
  let db: TestDatabase;
  let connection: mysql.Connection;
  beforeAll(async () => {
    db = await createTestDatabase('db_schema');
    await migrate({ database: mysqlConfig(db.url, 1) });
    connection = await mysql.createConnection({ uri: db.url });
  });
  afterAll(async () => {
    await connection?.end();
    await db?.drop();
  });

  it('keeps every index within InnoDB’s 3072-byte key limit in utf8mb4', async () => {
    const [rows] = (await connection.query(
      `SELECT s.TABLE_NAME, s.INDEX_NAME, s.COLUMN_NAME, c.DATA_TYPE, c.CHARACTER_OCTET_LENGTH, c.CHARACTER_MAXIMUM_LENGTH, s.SUB_PART, s.INDEX_TYPE
         FROM information_schema.STATISTICS s
         JOIN information_schema.COLUMNS c USING (TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME)
        WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME IN ('images', 'image_tags')`,
    )) as unknown as [IndexedColumn[]];
    const bytes = new Map<string, number>();
    // FULLTEXT indexes are inverted indexes in auxiliary tables, not B-tree keys: the key limit
    // does not apply to them. Listed here so that a new one is noticed.
    const fulltext = rows.filter((row) => row.INDEX_TYPE === 'FULLTEXT');
    expect(fulltext.map((row) => `${row.INDEX_NAME}(${row.COLUMN_NAME})`).sort()).toEqual([
      'images_search(search_annotation)',
      'images_search(search_filename)',
      'images_search(search_tags)',
      'images_search(search_text)',
    ]);
    for (const row of rows.filter((row) => row.INDEX_TYPE !== 'FULLTEXT')) {
      const perChar = row.CHARACTER_OCTET_LENGTH
        ? row.CHARACTER_OCTET_LENGTH / (row.CHARACTER_MAXIMUM_LENGTH ?? 1)
        : 0;
      const size = row.CHARACTER_OCTET_LENGTH
        ? row.SUB_PART
          ? row.SUB_PART * perChar
          : row.CHARACTER_OCTET_LENGTH
        : FIXED_BYTES[row.DATA_TYPE];
      expect(size, `${row.COLUMN_NAME} (${row.DATA_TYPE})`).toBeDefined();
      const name = row.INDEX_NAME === 'PRIMARY' ? `PRIMARY(${row.TABLE_NAME})` : row.INDEX_NAME;
      bytes.set(name, (bytes.get(name) ?? 0) + (size ?? 0));
    }
    expect(Object.fromEntries(bytes)).toEqual({
      'PRIMARY(images)': 4,
      images_original_sha256: 32,
      images_uploaded_at_id: 12,
      // VARCHAR(16) utf8mb4 + DATETIME(3): the sweep's pending-stage indexes.
      images_thumbnail_pending: 64 + 8,
      images_annotation_pending: 64 + 8,
      // BIGINT + DATETIME(3) + INT: the sweep's uploads still arriving.
      images_arriving: 8 + 8 + 4,
      // BINARY(32): the content hash that finds duplicates.
      images_content_sha256: 32,
      // VARCHAR(16) utf8mb4 (generated) + DATETIME(3) + INT: the status filter, newest first.
      images_status_uploaded_at_id: 64 + 8 + 4,
      // INT + VARCHAR(64) utf8mb4: a label once per image (image_tags).
      'PRIMARY(image_tags)': 4 + 256,
      // VARCHAR(64) utf8mb4 + INT: the images with a tag (`tag=`).
      image_tags_label_image: 256 + 4,
    });
    for (const size of bytes.values()) expect(size).toBeLessThanOrEqual(INNODB_MAX_KEY_BYTES);
  });

  it('keeps the full 1024-character key, in utf8mb4, outside any index', async () => {
    const [[column]] = (await connection.query(
      `SELECT CHARACTER_MAXIMUM_LENGTH AS chars, CHARACTER_OCTET_LENGTH AS bytes, CHARACTER_SET_NAME AS charset
         FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'images' AND COLUMN_NAME = 's3_key_original'`,
    )) as unknown as [[{ chars: number; bytes: number; charset: string }]];
    // 4096 bytes: this column alone would break the limit if it were indexed, as the seed did.
    expect(column).toEqual({ chars: 1024, bytes: 4096, charset: 'utf8mb4' });
    const [[table]] = (await connection.query(
      `SELECT TABLE_COLLATION AS collation, ENGINE AS engine FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'images'`,
    )) as unknown as [[{ collation: string; engine: string }]];
    expect(table.collation).toMatch(/^utf8mb4_/);
    expect(table.engine).toBe('InnoDB');
  });

  it('has the same tables and columns as the SQLite schema', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-schema-'));
    try {
      const file = path.join(dir, 'images.db');
      await migrate({ database: { kind: 'sqlite', path: file } });
      const sqlite = new DatabaseSync(file);
      try {
        for (const table of ['images', 'image_tags']) {
          const [rows] = (await connection.query(
            `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
              WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
            [table],
          )) as unknown as [{ name: string }[]];
          const columns = sqlite
            // table_xinfo: generated columns (overall_status) too.
            .prepare(`PRAGMA table_xinfo(${table})`)
            .all()
            .map((column) => column.name);
          expect(columns, table).toEqual(rows.map((row) => row.name));
          expect(columns.length, table).toBeGreaterThan(0);
        }
      } finally {
        sqlite.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
