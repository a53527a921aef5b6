/**
 * The schema, as an append-only list of versioned migrations. Never edit an applied migration:
 * add a new one. Each dialect lists its own statements; MySQL DDL is not transactional, so keep
 * one DDL statement per MySQL step where possible.
 */
import { createHash } from 'node:crypto';
import type { MigrationSession } from './driver.ts';
import { searchText } from './search.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly mysql: readonly string[];
  readonly sqlite: readonly string[];
  /**
   * Data the statements cannot compute in SQL (e.g. search text by the app's word rules), written
   * after them, on the same session, under the migration lock.
   */
  readonly backfill?: (session: MigrationSession, dialect: 'mysql' | 'sqlite') => Promise<void>;
}

/** The overall status: failed if either stage failed, pending if either is pending, else completed. */
const OVERALL_STATUS = `CASE
  WHEN thumbnail_status = 'failed' OR annotation_status = 'failed' THEN 'failed'
  WHEN thumbnail_status = 'pending' OR annotation_status = 'pending' THEN 'pending'
  ELSE 'completed' END`;

const STATUS_CHECK = (column: string) => `CHECK (${column} IN ('pending', 'completed', 'failed'))`;

/**
 * Migration 5's SQLite full-text index: an external-content FTS5 table over the two search
 * columns, kept in step by triggers (the FTS5 manual's pattern). The text is already words joined
 * by spaces, so unicode61 splits it exactly where InnoDB does.
 * Created by migration 8 once the search text of existing rows is written: the
 * update trigger's 'delete' of a row FTS5 never indexed corrupts the index.
 */
const SQLITE_SEARCH_INDEX = [
  `CREATE VIRTUAL TABLE images_search USING fts5(
    search_filename, search_annotation, content='images', content_rowid='id', tokenize='unicode61'
  )`,
  `CREATE TRIGGER images_search_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_search (rowid, search_filename, search_annotation)
      VALUES (new.id, new.search_filename, new.search_annotation);
  END`,
  `CREATE TRIGGER images_search_delete AFTER DELETE ON images BEGIN
    INSERT INTO images_search (images_search, rowid, search_filename, search_annotation)
      VALUES ('delete', old.id, old.search_filename, old.search_annotation);
  END`,
  `CREATE TRIGGER images_search_update AFTER UPDATE OF search_filename, search_annotation ON images BEGIN
    INSERT INTO images_search (images_search, rowid, search_filename, search_annotation)
      VALUES ('delete', old.id, old.search_filename, old.search_annotation);
    INSERT INTO images_search (rowid, search_filename, search_annotation)
      VALUES (new.id, new.search_filename, new.search_annotation);
  END`,
];

/**
 * Migration 13's SQLite full-text index: migration 5's, over the four search columns (the tags'
 * labels and the text in the image added by migration 11).
 */
const SEARCH_COLUMNS = 'search_filename, search_annotation, search_tags, search_text';
const oldValues = SEARCH_COLUMNS.split(', ')
  .map((column) => `old.${column}`)
  .join(', ');
const newValues = SEARCH_COLUMNS.split(', ')
  .map((column) => `new.${column}`)
  .join(', ');
const SQLITE_SEARCH_INDEX_13 = [
  'DROP TRIGGER IF EXISTS images_search_insert',
  'DROP TRIGGER IF EXISTS images_search_delete',
  'DROP TRIGGER IF EXISTS images_search_update',
  'DROP TABLE IF EXISTS images_search',
  `CREATE VIRTUAL TABLE images_search USING fts5(
    ${SEARCH_COLUMNS}, content='images', content_rowid='id', tokenize='unicode61'
  )`,
  `CREATE TRIGGER images_search_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_search (rowid, ${SEARCH_COLUMNS}) VALUES (new.id, ${newValues});
  END`,
  `CREATE TRIGGER images_search_delete AFTER DELETE ON images BEGIN
    INSERT INTO images_search (images_search, rowid, ${SEARCH_COLUMNS})
      VALUES ('delete', old.id, ${oldValues});
  END`,
  `CREATE TRIGGER images_search_update AFTER UPDATE OF ${SEARCH_COLUMNS} ON images BEGIN
    INSERT INTO images_search (images_search, rowid, ${SEARCH_COLUMNS})
      VALUES ('delete', old.id, ${oldValues});
    INSERT INTO images_search (rowid, ${SEARCH_COLUMNS}) VALUES (new.id, ${newValues});
  END`,
  // Every row there is now indexed from the table (the old index is gone with its table).
  `INSERT INTO images_search (images_search) VALUES ('rebuild')`,
];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create images',
    // The seed declared `s3_key_original VARCHAR(1024) NOT NULL UNIQUE`. In utf8mb4 that index
    // needs 4 x 1024 = 4096 bytes, over InnoDB's 3072-byte key limit: MySQL 8 refuses it (error
    // 1071) while MariaDB silently accepts it, so tests on MariaDB could never catch it. The key
    // stays un-indexed at full length, and uniqueness (the UPSERT target) moves to its SHA-256,
    // computed by the app: 32 bytes. Rule: every indexed column stays within 3072 bytes by design
    // (test/schema-limits.test.ts checks it). The thumbnail key needs no index at all.
    mysql: [
      `CREATE TABLE images (
        id INT NOT NULL AUTO_INCREMENT,
        filename VARCHAR(255) NOT NULL,
        s3_key_original VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        s3_key_original_sha256 BINARY(32) NOT NULL,
        s3_key_thumbnail VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
        annotation TEXT NULL,
        annotator VARCHAR(64) NULL,
        annotation_model VARCHAR(128) NULL,
        annotation_status VARCHAR(16) NOT NULL DEFAULT 'pending',
        annotation_error VARCHAR(1000) NULL,
        thumbnail_status VARCHAR(16) NOT NULL DEFAULT 'pending',
        thumbnail_error VARCHAR(1000) NULL,
        content_type VARCHAR(100) NULL,
        byte_size BIGINT NULL,
        width INT NULL,
        height INT NULL,
        uploaded_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (id),
        UNIQUE KEY images_original_sha256 (s3_key_original_sha256),
        KEY images_uploaded_at_id (uploaded_at, id),
        CONSTRAINT images_annotation_status ${STATUS_CHECK('annotation_status')},
        CONSTRAINT images_thumbnail_status ${STATUS_CHECK('thumbnail_status')}
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    ],
    sqlite: [
      // STRICT: SQLite enforces the declared types, as MySQL would. Times are integer ms (UTC).
      // AUTOINCREMENT: ids are never reused after a delete, as with InnoDB.
      `CREATE TABLE images (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        filename TEXT NOT NULL,
        s3_key_original TEXT NOT NULL,
        s3_key_original_sha256 BLOB NOT NULL,
        s3_key_thumbnail TEXT,
        annotation TEXT,
        annotator TEXT,
        annotation_model TEXT,
        annotation_status TEXT NOT NULL DEFAULT 'pending' ${STATUS_CHECK('annotation_status')},
        annotation_error TEXT,
        thumbnail_status TEXT NOT NULL DEFAULT 'pending' ${STATUS_CHECK('thumbnail_status')},
        thumbnail_error TEXT,
        content_type TEXT,
        byte_size INTEGER,
        width INTEGER,
        height INTEGER,
        uploaded_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
        updated_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
      ) STRICT`,
      'CREATE UNIQUE INDEX images_original_sha256 ON images (s3_key_original_sha256)',
      'CREATE INDEX images_uploaded_at_id ON images (uploaded_at, id)',
    ],
  },
  {
    version: 2,
    name: 'stage leases',
    // A worker claims its stage of an image before working on it: one conditional UPDATE sets the
    // lease when it is free or has run out, and the affected-row count says who won. So duplicate
    // deliveries of one event (EventBridge delivers at least once) do the work once, and a worker
    // that died holding a lease blocks its stage only until the lease runs out. The token is the
    // holder's, so a late release never frees a lease a later delivery took. Plain columns on the
    // row: a claim needs the row to exist (a withdrawn upload cannot be claimed), and the lease goes
    // with the row. None is indexed (claims find the row by its unique key hash); adding nullable
    // columns is an instant ALTER on MySQL 8 and MariaDB 10.11, and one statement here.
    mysql: [
      `ALTER TABLE images
        ADD COLUMN thumbnail_lease_until DATETIME(3) NULL,
        ADD COLUMN thumbnail_lease_token CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
        ADD COLUMN annotation_lease_until DATETIME(3) NULL,
        ADD COLUMN annotation_lease_token CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL`,
    ],
    sqlite: [
      'ALTER TABLE images ADD COLUMN thumbnail_lease_until INTEGER',
      'ALTER TABLE images ADD COLUMN thumbnail_lease_token TEXT',
      'ALTER TABLE images ADD COLUMN annotation_lease_until INTEGER',
      'ALTER TABLE images ADD COLUMN annotation_lease_token TEXT',
    ],
  },
  {
    version: 3,
    name: 'sweep indexes',
    // The reconciliation sweep looks for images a stage never finished: `<stage>_status = 'pending'
    // AND updated_at < ?`, one query per stage. These indexes make each a range scan over the few
    // pending rows, not a scan of the table (most rows are completed). Both columns are short:
    // VARCHAR(16) utf8mb4 (64 bytes) and DATETIME(3), far within InnoDB's 3072-byte key limit.
    mysql: [
      `ALTER TABLE images
        ADD INDEX images_thumbnail_pending (thumbnail_status, updated_at),
        ADD INDEX images_annotation_pending (annotation_status, updated_at)`,
    ],
    sqlite: [
      'CREATE INDEX images_thumbnail_pending ON images (thumbnail_status, updated_at)',
      'CREATE INDEX images_annotation_pending ON images (annotation_status, updated_at)',
    ],
  },
  {
    version: 4,
    name: 'uploads still arriving',
    // The sweep's `byte_size IS NULL AND uploaded_at < ?`: normally no row is NULL, so without this
    // index the query read every row older than STALE_UPLOAD_MS, every SWEEP_INTERVAL_MS, in every
    // web process. BIGINT + DATETIME(3) + INT: about 20 bytes of key.
    mysql: ['ALTER TABLE images ADD INDEX images_arriving (byte_size, uploaded_at, id)'],
    sqlite: ['CREATE INDEX images_arriving ON images (byte_size, uploaded_at, id)'],
  },
  {
    version: 5,
    name: 'search',
    // Full-text search over the filename and the annotation, and the overall status as a column.
    //
    // The engines never tokenise the raw fields: `search_filename` and `search_annotation` hold
    // their words by the one rule set in search.ts (searchText), written by the repository with
    // the field (createPending, recordAnnotation), so InnoDB FULLTEXT and FTS5 index the same words
    // and give the same rows for the same query. Rows that exist already are filled in by the
    // backfill below, in the app, in batches.
    //
    // Extending what `q` matches (the vision issue's tags and text-in-image): add a column
    // `search_tags` (and `search_text`) written with searchText by the repository method that
    // records them, then, in one new migration: MySQL `DROP INDEX images_search` + `ADD FULLTEXT
    // INDEX images_search (search_filename, search_annotation, search_tags, ...)` (the MATCH column
    // list in dialect.ts must equal the index's); SQLite: drop the triggers and `images_search`,
    // create them again with the new column, and `INSERT INTO images_search(images_search)
    // VALUES ('rebuild')`. Nothing else changes: the query words AND across every column.
    //
    // `overall_status`: failed if either stage failed, else pending if either is pending, else
    // completed. A VIRTUAL generated column (both servers, and SQLite, can add and index one; no
    // table rebuild for the column itself), indexed with (uploaded_at, id) so `status=` pages walk
    // the index newest first like the unfiltered gallery. Key: VARCHAR(16) utf8mb4 (64 bytes) +
    // DATETIME(3) + INT = 76 bytes. A FULLTEXT index is not a B-tree key: the 3072-byte key
    // limit does not apply to it (InnoDB adds a hidden FTS_DOC_ID column and rebuilds the table
    // once, for the first FULLTEXT index).
    //
    // MySQL runs DDL outside transactions, so this is one step per migration version (5: the
    // columns; 8: the search text of existing rows; 9 and 10: the indexes): a process stopped
    // half-way (a deploy's health-check deadline during a long backfill) resumes where it stopped
    // instead of failing on a column or index that already exists.
    mysql: [
      `ALTER TABLE images
        ADD COLUMN search_filename TEXT NULL,
        ADD COLUMN search_annotation TEXT NULL,
        ADD COLUMN overall_status VARCHAR(16) AS (${OVERALL_STATUS}) VIRTUAL`,
    ],
    sqlite: [
      'ALTER TABLE images ADD COLUMN search_filename TEXT',
      'ALTER TABLE images ADD COLUMN search_annotation TEXT',
      `ALTER TABLE images ADD COLUMN overall_status TEXT GENERATED ALWAYS AS (${OVERALL_STATUS}) VIRTUAL`,
    ],
  },
  {
    version: 6,
    name: 'uploader',
    // Who may change an image without the operator's token: the opaque random id of the browser
    // that uploaded it (apps/web's signed cookie). Short ASCII, never queried by (the web tier reads
    // it from the row it already has), so no index. A nullable column: an instant ALTER.
    mysql: ['ALTER TABLE images ADD COLUMN uploader VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL'],
    sqlite: ['ALTER TABLE images ADD COLUMN uploader TEXT'],
  },
  {
    version: 7,
    name: 'content hash',
    // Duplicate detection: the SHA-256 of an original's bytes, computed while the upload streams
    // and recorded (claimContent) just before the original is committed. The UNIQUE index is what
    // decides between two uploads of the same bytes at once: exactly one row can hold a hash.
    // NULL until claimed (rows from before this migration, uploads still arriving), and NULLs do
    // not collide in a UNIQUE index on either dialect. BINARY(32): 32 bytes of key.
    mysql: [
      `ALTER TABLE images
        ADD COLUMN content_sha256 BINARY(32) NULL,
        ADD UNIQUE INDEX images_content_sha256 (content_sha256)`,
    ],
    sqlite: [
      'ALTER TABLE images ADD COLUMN content_sha256 BLOB',
      'CREATE UNIQUE INDEX images_content_sha256 ON images (content_sha256)',
    ],
  },
  {
    version: 8,
    name: 'search text of existing rows',
    // Migration 5's backfill: the words of the rows that existed before it, in batches, in the app
    // (searchText is the one word rule). Safe to run again from the start if it was stopped.
    // SQLite then creates its full-text table and triggers (migration 5's comment says why after).
    mysql: [],
    sqlite: [],
    backfill: async (session, dialect) => {
      const BATCH = 500;
      let after = 0;
      for (;;) {
        const rows = await session.all<{ id: number; filename: string; annotation: string | null }>(
          `SELECT id, filename, annotation FROM images WHERE id > ? ORDER BY id LIMIT ${BATCH}`,
          [after],
        );
        for (const row of rows) {
          await session.run('UPDATE images SET search_filename = ?, search_annotation = ? WHERE id = ?', [
            searchText(row.filename),
            searchText(row.annotation),
            row.id,
          ]);
        }
        if (rows.length < BATCH) break;
        after = Number(rows.at(-1)!.id);
      }
      if (dialect === 'sqlite') {
        for (const statement of SQLITE_SEARCH_INDEX) await session.exec(statement);
        // The triggers cover later writes; the rows there are now are indexed from the table.
        await session.exec(`INSERT INTO images_search (images_search) VALUES ('rebuild')`);
      }
    },
  },
  {
    version: 9,
    name: 'status index',
    // Migration 5's status filter: (overall_status, uploaded_at, id), 76 bytes of key.
    mysql: ['ALTER TABLE images ADD INDEX images_status_uploaded_at_id (overall_status, uploaded_at, id)'],
    sqlite: ['CREATE INDEX images_status_uploaded_at_id ON images (overall_status, uploaded_at, id)'],
  },
  {
    version: 10,
    name: 'full-text index',
    // Migration 5's InnoDB full-text index, built once the text is written (SQLite: migration 8).
    mysql: ['ALTER TABLE images ADD FULLTEXT INDEX images_search (search_filename, search_annotation)'],
    sqlite: [],
  },
  {
    version: 11,
    name: 'structured annotations',
    // The annotator's tags, the text it read in the image (OCR) and its content-safety flag.
    // `tags` holds the tags as the JSON array the repository reads back with the row (so no read
    // needs a join); `image_tags` (migration 12) holds the same tags one per row, for the `tag=`
    // filter. `search_tags` and `search_text` are their search text (searchText in search.ts), as
    // migration 5's comment plans; migration 13 indexes them. Existing rows have none of these
    // (NULL: no tags, no text), so there is nothing to backfill. Nullable columns: instant ALTERs.
    mysql: [
      `ALTER TABLE images
        ADD COLUMN tags TEXT NULL,
        ADD COLUMN text_in_image TEXT NULL,
        ADD COLUMN safety VARCHAR(16) NULL,
        ADD COLUMN search_tags TEXT NULL,
        ADD COLUMN search_text TEXT NULL`,
    ],
    sqlite: [
      'ALTER TABLE images ADD COLUMN tags TEXT',
      'ALTER TABLE images ADD COLUMN text_in_image TEXT',
      'ALTER TABLE images ADD COLUMN safety TEXT',
      'ALTER TABLE images ADD COLUMN search_tags TEXT',
      'ALTER TABLE images ADD COLUMN search_text TEXT',
    ],
  },
  {
    version: 12,
    name: 'image tags',
    // One row per tag of an image, for `tag=` (listPage): the index (label, image_id) finds the
    // images with a label. A label is at most 64 characters, lowercased by the repository, compared
    // byte for byte (utf8mb4_bin, as SQLite compares): 256 + 4 = 260 bytes of key. The primary key
    // (image_id, label), 4 + 256 bytes, keeps a label once per image. The tags go with their image
    // (ON DELETE CASCADE; SQLite enforces it with PRAGMA foreign_keys, which the driver sets).
    mysql: [
      `CREATE TABLE image_tags (
        image_id INT NOT NULL,
        label VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        confidence DOUBLE NOT NULL,
        source VARCHAR(64) NOT NULL,
        PRIMARY KEY (image_id, label),
        KEY image_tags_label_image (label, image_id),
        CONSTRAINT image_tags_image FOREIGN KEY (image_id) REFERENCES images (id) ON DELETE CASCADE
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    ],
    sqlite: [
      `CREATE TABLE image_tags (
        image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        confidence REAL NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (image_id, label)
      ) STRICT, WITHOUT ROWID`,
      'CREATE INDEX image_tags_label_image ON image_tags (label, image_id)',
    ],
  },
  {
    version: 13,
    name: 'full-text index over tags and text',
    // Migration 5's plan: the full-text index covers the tags' labels and the text in the image
    // too (the MATCH column list in dialect.ts is the index's). One statement on MySQL; InnoDB
    // rebuilds the index from the table. SQLite: the FTS5 table and its triggers, again.
    mysql: [
      `ALTER TABLE images DROP INDEX images_search, ADD FULLTEXT INDEX images_search (${SEARCH_COLUMNS})`,
    ],
    sqlite: SQLITE_SEARCH_INDEX_13,
  },
];

/**
 * The schema's fingerprint: each migration's version, name and MySQL statements. A new migration
 * (the list is append-only) changes it; nothing else in the code does. The deployment (infra)
 * sends the fingerprint of the migrations it was built with, and the migration function refuses
 * to report success for another list (an image built from older code).
 */
export function schemaFingerprint(
  migrations: readonly { version: number; name: string; mysql: readonly string[] }[] = MIGRATIONS,
): string {
  const list = migrations.map(({ version, name, mysql }) => ({ version, name, mysql }));
  return createHash('sha256').update(JSON.stringify(list)).digest('hex').slice(0, 16);
}
