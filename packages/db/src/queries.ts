import type { Dialect } from './dialect.ts';
import type { Stage } from './types.ts';

/** The columns every read returns, in the shape values.ts maps (toRecord). */
const IMAGE_COLUMNS =
  'id, filename, s3_key_original, s3_key_thumbnail, annotation, annotator, annotation_model, ' +
  'annotation_status, annotation_error, thumbnail_status, thumbnail_error, content_type, byte_size, ' +
  'width, height, uploaded_at, updated_at, uploader, tags, text_in_image, safety';

/** IMAGE_COLUMNS named with their table, for a statement that joins images to a derived table. */
const QUALIFIED_IMAGE_COLUMNS = IMAGE_COLUMNS.split(', ')
  .map((column) => `images.${column}`)
  .join(', ');

const STATUS_COLUMNS =
  'id, annotation_status, thumbnail_status, annotation_error, thumbnail_error, s3_key_thumbnail, ' +
  'annotation, tags, text_in_image, safety, updated_at';

/**
 * A row whose original has been stored: the web tier writes the row before it streams the
 * original and sets byte_size once the put has succeeded (recordOriginalSize; the thumbnailer
 * fills it in too), so a row without it belongs to an upload still receiving its bytes.
 */
const STORED = 'byte_size IS NOT NULL';
/** Its opposite: an upload whose bytes are still arriving (or never arrived). */
const ARRIVING = 'byte_size IS NULL';

/** The row has a tag of the label that is the parameter (image_tags, migration 12). */
const TAGGED = 'id IN (SELECT image_id FROM image_tags WHERE label = ?)';

/** The columns the full-text search covers (migration 13; Dialect.searchCondition lists them too). */
const SEARCH_COLUMNS = ['search_filename', 'search_annotation', 'search_tags', 'search_text'] as const;

const STAGE_COLUMNS = {
  thumbnail: {
    status: 'thumbnail_status',
    error: 'thumbnail_error',
    leaseUntil: 'thumbnail_lease_until',
    leaseToken: 'thumbnail_lease_token',
  },
  annotation: {
    status: 'annotation_status',
    error: 'annotation_error',
    leaseUntil: 'annotation_lease_until',
    leaseToken: 'annotation_lease_token',
  },
} as const satisfies Record<Stage, { status: string; error: string; leaseUntil: string; leaseToken: string }>;

/** One statement per stage. */
/** "?, ?, ?": the placeholders of an IN list. */
const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ');

const perStage = <T>(build: (stage: Stage) => T): Record<Stage, T> => ({
  thumbnail: build('thumbnail'),
  annotation: build('annotation'),
});

/**
 * An UPDATE of the row whose key hash is the last placeholder. MySQL evaluates the assignments
 * left to right and later ones see columns already assigned, SQLite evaluates every one against
 * the old row: so, as in upserts (see Dialect.onConflict), no assignment reads a column assigned
 * earlier in the list.
 */
const updateRow = (assignments: ReadonlyArray<readonly [column: string, expression: string]>) =>
  `UPDATE images SET ${assignments.map(([column, expression]) => `${column} = ${expression}`).join(', ')} WHERE s3_key_original_sha256 = ?`;

/**
 * Every statement the repository runs, written once and rendered for one dialect.
 *
 * Only the web tier creates rows (createPending: insertPending, a plain INSERT, and when the key
 * already has a row the UPSERT on s3_key_original_sha256; the first three placeholders of both are
 * filename, s3_key_original, hash). The workers' writes are plain UPDATEs
 * of that row: when the web tier has withdrawn the upload (row deleted), they match no row and
 * write nothing, so a worker can never bring back a row without its original.
 */
export function buildQueries(d: Dialect) {
  const v = d.inserted;
  const insertPending = `INSERT INTO images (filename, s3_key_original, s3_key_original_sha256, content_type, byte_size, width, height, annotation_status, thumbnail_status, uploaded_at, updated_at, uploader, search_filename)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 'pending', ?, ?, ?, ?)`;

  return {
    // The web tier's new row, as a plain INSERT: what it stores is what createPending was given,
    // so the repository builds the record from that and the insert id, without reading it back.
    // It fails on a key that already has a row, and only then does createPending run the upsert.
    insertPending,
    // The web tier's row; a second call for the same key fills in the metadata it has and keeps
    // the workers' results and statuses (the stored size is recordOriginalSize's).
    createPending: `${insertPending} ${d.onConflict([
      ['filename', v('filename')],
      ['search_filename', v('search_filename')],
      ['content_type', `COALESCE(${v('content_type')}, content_type)`],
      ['byte_size', `COALESCE(${v('byte_size')}, byte_size)`],
      ['width', `COALESCE(${v('width')}, width)`],
      ['height', `COALESCE(${v('height')}, height)`],
      ['updated_at', v('updated_at')],
      ['uploader', `COALESCE(uploader, ${v('uploader')})`],
    ])}`,

    // The size the web tier learns once the original is stored. Not an upsert: it fills in the
    // web's own row, and must not bring back a row that was withdrawn in the meantime.
    recordOriginalSize: 'UPDATE images SET byte_size = ?, updated_at = ? WHERE s3_key_original_sha256 = ?',

    // The thumbnailer's columns only; the original's metadata is filled only where the row has none.
    recordThumbnail: updateRow([
      ['s3_key_thumbnail', '?'],
      ['thumbnail_status', `'completed'`],
      ['thumbnail_error', 'NULL'],
      ['content_type', 'COALESCE(content_type, ?)'],
      ['byte_size', 'COALESCE(byte_size, ?)'],
      ['width', 'COALESCE(width, ?)'],
      ['height', 'COALESCE(height, ?)'],
      ['updated_at', '?'],
    ]),

    // The annotator's columns only.
    recordAnnotation: updateRow([
      ['annotation', '?'],
      ['search_annotation', '?'],
      ['tags', '?'],
      ['search_tags', '?'],
      ['text_in_image', '?'],
      ['search_text', '?'],
      ['safety', '?'],
      ['annotator', '?'],
      ['annotation_model', '?'],
      ['annotation_status', `'completed'`],
      ['annotation_error', 'NULL'],
      ['updated_at', '?'],
    ]),

    // The tags' rows for `tag=` (migration 12), replaced before the row's UPDATE (see
    // recordAnnotation): the image's id, then (id, label, confidence, source) per tag. An upsert,
    // so two writers at once never collide on the primary key.
    selectIdByHash: 'SELECT id FROM images WHERE s3_key_original_sha256 = ?',
    deleteTags: 'DELETE FROM image_tags WHERE image_id = ?',
    insertTags: (count: number) =>
      `INSERT INTO image_tags (image_id, label, confidence, source) VALUES ${Array.from(
        { length: count },
        () => '(?, ?, ?, ?)',
      ).join(', ')} ${
        d.name === 'mysql'
          ? 'ON DUPLICATE KEY UPDATE confidence = VALUES(confidence), source = VALUES(source)'
          : 'ON CONFLICT (image_id, label) DO UPDATE SET confidence = excluded.confidence, source = excluded.source'
      }`,

    // A stage that already completed stays completed (a late or duplicate failure must not undo a
    // success). The error is assigned before the status, which it reads.
    markFailed: perStage((stage) => {
      const { status, error } = STAGE_COLUMNS[stage];
      return updateRow([
        [error, `CASE WHEN ${status} = 'completed' THEN ${error} ELSE ? END`],
        [status, `CASE WHEN ${status} = 'completed' THEN ${status} ELSE 'failed' END`],
        ['updated_at', '?'],
      ]);
    }),

    // (lease until, token, hash, now): takes the stage's lease when it is free or has run out. One
    // statement, so of several deliveries at once exactly one matches the row (InnoDB re-reads the
    // locked row's committed lease; SQLite has one writer). updated_at is left alone: a claim is
    // not a change anyone polling the row should see.
    claimStage: perStage((stage) => {
      const { leaseUntil, leaseToken } = STAGE_COLUMNS[stage];
      return `${updateRow([
        [leaseUntil, '?'],
        [leaseToken, '?'],
      ])} AND (${leaseUntil} IS NULL OR ${leaseUntil} <= ?)`;
    }),

    // (hash, token): frees the stage, only if the lease is still this holder's.
    releaseStage: perStage((stage) => {
      const { leaseUntil, leaseToken } = STAGE_COLUMNS[stage];
      return `${updateRow([
        [leaseUntil, 'NULL'],
        [leaseToken, 'NULL'],
      ])} AND ${leaseToken} = ?`;
    }),

    // (content hash, key hash): the upload's claim on its bytes; the UNIQUE index on
    // content_sha256 refuses a second row with the same bytes.
    claimContent: 'UPDATE images SET content_sha256 = ? WHERE s3_key_original_sha256 = ?',
    releaseContent: 'UPDATE images SET content_sha256 = NULL WHERE id = ?',
    selectByContent: `SELECT ${IMAGE_COLUMNS} FROM images WHERE content_sha256 = ?`,

    deleteByHash: 'DELETE FROM images WHERE s3_key_original_sha256 = ?',
    deleteById: 'DELETE FROM images WHERE id = ?',

    // (updated_at, id): the requested stages back to pending, error and lease cleared, in one
    // statement that matches only a stored row none of whose requested stages is pending: so two
    // retries at once (or a retry racing the sweep) send each stage once, and a stage a worker is
    // running is never reset under it. Assignments read no column assigned before them.
    retryStages: (stages: readonly Stage[]) => {
      const assignments: [string, string][] = [];
      for (const stage of stages) {
        const { status, error, leaseUntil, leaseToken } = STAGE_COLUMNS[stage];
        assignments.push([status, `'pending'`], [error, 'NULL'], [leaseUntil, 'NULL'], [leaseToken, 'NULL']);
      }
      assignments.push(['updated_at', '?']);
      const idle = stages.map((stage) => `${STAGE_COLUMNS[stage].status} <> 'pending'`).join(' AND ');
      return `UPDATE images SET ${assignments.map(([c, e]) => `${c} = ${e}`).join(', ')} WHERE id = ? AND ${STORED} AND ${idle}`;
    },
    // Only a stage still pending and not claimed by a worker goes back: one a worker has taken
    // (or finished) is left to it.
    undoRetry: perStage((stage) => {
      const { status, error, leaseToken } = STAGE_COLUMNS[stage];
      return `UPDATE images SET ${status} = ?, ${error} = ? WHERE id = ? AND ${status} = 'pending' AND ${leaseToken} IS NULL`;
    }),
    selectById: `SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ?`,
    selectByHash: `SELECT ${IMAGE_COLUMNS} FROM images WHERE s3_key_original_sha256 = ?`,

    // Newest first, on the (uploaded_at, id) index, or (overall_status, uploaded_at, id) with a
    // status; a tag adds its rows' condition (image_tags' (label, image_id) index), a search the
    // dialect's full-text condition. The limit is a validated integer written into the SQL: mysql2
    // binds JS numbers as DOUBLE, which MySQL 8.0.22+ refuses for LIMIT in prepared statements.
    // Parameters, in order: status, tag, search, then the cursor's (uploaded_at, uploaded_at, id).
    // `storedOnly` leaves out the rows of uploads whose bytes are still arriving (see STORED).
    // The cursor's (uploaded_at, id) < (?, ?) is spelled so that the leading `uploaded_at <= ?`
    // bounds an index range scan (row-value comparisons are not range-optimised everywhere).
    listPage: (
      limit: number,
      filter: { storedOnly: boolean; status: boolean; tag: boolean; search: boolean; after: boolean },
    ) => {
      const where = [
        filter.storedOnly ? STORED : null,
        filter.status ? 'overall_status = ?' : null,
        filter.tag ? TAGGED : null,
        filter.search ? d.searchCondition : null,
        filter.after ? 'uploaded_at <= ? AND (uploaded_at < ? OR id < ?)' : null,
      ].filter((condition) => condition !== null);
      return (
        `SELECT ${IMAGE_COLUMNS} FROM images ${where.length > 0 ? `WHERE ${where.join(' AND ')} ` : ''}` +
        `ORDER BY uploaded_at DESC, id DESC LIMIT ${limit}`
      );
    },

    // A search's first try (MySQL): the page among the newest `window` rows of the listing (the
    // same filters and cursor, walking the same index), matched on the stored search text. Its
    // words are joined by single spaces (search.ts), so "a word starts with w" is exactly
    // ' ' + text LIKE '% w%', the full-text prefix match: the same rows as MATCH ... AGAINST, found by
    // reading at most `window` rows in index order (a bounded read, never a scan of the table).
    // Words hold only letters and digits, so they carry no LIKE wildcard. When this finds more than
    // a page, that page is the answer (the window is the listing's head, in its order); otherwise
    // the full-text query runs. The window keeps only (id, uploaded_at, hit): a derived table with
    // the TEXT columns would be written to an on-disk temporary table by MariaDB; the page's rows
    // are then read by primary key. Parameters: one pattern per word, then status, tag, cursor (3).
    recentMatches: (
      limit: number,
      window: number,
      words: number,
      filter: { storedOnly: boolean; status: boolean; tag: boolean; after: boolean },
    ) => {
      const where = [
        filter.storedOnly ? STORED : null,
        filter.status ? 'overall_status = ?' : null,
        filter.tag ? TAGGED : null,
        filter.after ? 'uploaded_at <= ? AND (uploaded_at < ? OR id < ?)' : null,
      ].filter((condition) => condition !== null);
      // The full-text index's columns (migration 13), each word preceded by a space.
      const text = `CONCAT(${SEARCH_COLUMNS.map((column) => `' ', COALESCE(${column}, '')`).join(', ')})`;
      const hit = Array.from({ length: words }, () => `${text} LIKE ?`).join(' AND ');
      return (
        `SELECT ${QUALIFIED_IMAGE_COLUMNS} FROM (SELECT id, uploaded_at, (${hit}) AS hit FROM images ` +
        `${where.length > 0 ? `WHERE ${where.join(' AND ')} ` : ''}ORDER BY uploaded_at DESC, id DESC LIMIT ${window}) recent ` +
        'JOIN images ON images.id = recent.id WHERE recent.hit ' +
        `ORDER BY recent.uploaded_at DESC, recent.id DESC LIMIT ${limit}`
      );
    },

    statuses: (count: number) => `SELECT ${STATUS_COLUMNS} FROM images WHERE id IN (${placeholders(count)})`,

    // The reconciliation sweep. A NULL byte_size is an original not (yet) known to be stored: the
    // web tier sets it after the put. Oldest first, on the (uploaded_at, id) index.
    staleUploads: (limit: number) =>
      `SELECT ${IMAGE_COLUMNS} FROM images WHERE ${ARRIVING} AND uploaded_at < ? ` +
      `ORDER BY uploaded_at, id LIMIT ${limit}`,
    // Only while the row is still stale: an upload that finished meanwhile keeps its row, and two
    // sweeps at once delete it once.
    deleteStaleUpload: `DELETE FROM images WHERE s3_key_original_sha256 = ? AND ${ARRIVING} AND uploaded_at < ?`,
    // A stage still pending long after the original arrived: its event never reached the worker.
    stalledStage: perStage((stage) => {
      const { status } = STAGE_COLUMNS[stage];
      return (limit: number) =>
        `SELECT ${IMAGE_COLUMNS} FROM images WHERE ${status} = 'pending' AND updated_at < ? ` +
        `AND ${STORED} ORDER BY updated_at LIMIT ${limit}`;
    }),
    // Which of these key hashes have a row (the sweep's check that every object has its row).
    existingHashes: (count: number) =>
      `SELECT s3_key_original_sha256 AS hash FROM images WHERE s3_key_original_sha256 IN (${placeholders(count)})`,
    // Sent on again: the row waits STALE_UPLOAD_MS more before the next try.
    markRenotified: 'UPDATE images SET updated_at = ? WHERE s3_key_original_sha256 = ?',

    ping: 'SELECT 1 AS ok',
  };
}

export type Queries = ReturnType<typeof buildQueries>;
