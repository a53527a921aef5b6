import type { Dialect } from './dialect.ts';
import type { Stage } from './types.ts';

/** The columns every read returns, in the shape values.ts maps (toRecord). */
const IMAGE_COLUMNS =
  'id, filename, s3_key_original, s3_key_thumbnail, annotation, annotator, annotation_model, ' +
  'annotation_status, annotation_error, thumbnail_status, thumbnail_error, content_type, byte_size, ' +
  'width, height, uploaded_at, updated_at';

const STATUS_COLUMNS =
  'id, annotation_status, thumbnail_status, annotation_error, thumbnail_error, s3_key_thumbnail, ' +
  'annotation, updated_at';

/**
 * A row whose original has been stored: the web tier writes the row before it streams the
 * original and sets byte_size once the put has succeeded (recordOriginalSize; the thumbnailer
 * fills it in too), so a row without it belongs to an upload still receiving its bytes.
 */
const STORED = 'byte_size IS NOT NULL';

const STAGE_COLUMNS = {
  thumbnail: { status: 'thumbnail_status', error: 'thumbnail_error' },
  annotation: { status: 'annotation_status', error: 'annotation_error' },
} as const satisfies Record<Stage, { status: string; error: string }>;

/**
 * Every statement the repository runs, written once and rendered for one dialect. Each write is
 * an UPSERT on s3_key_original_sha256, so the web insert and both workers may arrive in any order.
 * The first three placeholders of every upsert are (filename, s3_key_original, hash).
 */
export function buildQueries(d: Dialect) {
  const v = d.inserted;

  const failure = (stage: Stage) => {
    const { status, error } = STAGE_COLUMNS[stage];
    return `INSERT INTO images (filename, s3_key_original, s3_key_original_sha256, ${status}, ${error}, uploaded_at, updated_at)
      VALUES (?, ?, ?, 'failed', ?, ?, ?) ${d.onConflict([
        // A stage that already completed stays completed (a late or duplicate failure must not
        // undo a success). The error is assigned before the status: see Dialect.onConflict.
        [error, `CASE WHEN ${status} = 'completed' THEN ${error} ELSE ${v(error)} END`],
        [status, `CASE WHEN ${status} = 'completed' THEN ${status} ELSE 'failed' END`],
        ['updated_at', v('updated_at')],
      ])}`;
  };

  return {
    // The web tier's row. If a worker got there first, the web's filename and the checked
    // metadata fill it in; the workers' results and statuses are kept.
    createPending: `INSERT INTO images (filename, s3_key_original, s3_key_original_sha256, content_type, byte_size, width, height, annotation_status, thumbnail_status, uploaded_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 'pending', ?, ?) ${d.onConflict([
        ['filename', v('filename')],
        ['content_type', `COALESCE(${v('content_type')}, content_type)`],
        ['byte_size', `COALESCE(${v('byte_size')}, byte_size)`],
        ['width', `COALESCE(${v('width')}, width)`],
        ['height', `COALESCE(${v('height')}, height)`],
        ['updated_at', v('updated_at')],
      ])}`,

    // The size the web tier learns once the original is stored. Not an upsert: it fills in the
    // web's own row, and must not bring back a row that was withdrawn in the meantime.
    recordOriginalSize: 'UPDATE images SET byte_size = ?, updated_at = ? WHERE s3_key_original_sha256 = ?',

    // The thumbnailer's columns only; metadata is filled only where the row has none.
    recordThumbnail: `INSERT INTO images (filename, s3_key_original, s3_key_original_sha256, s3_key_thumbnail, thumbnail_status, content_type, byte_size, width, height, uploaded_at, updated_at)
      VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?) ${d.onConflict([
        ['s3_key_thumbnail', v('s3_key_thumbnail')],
        ['thumbnail_status', `'completed'`],
        ['thumbnail_error', 'NULL'],
        ['content_type', `COALESCE(content_type, ${v('content_type')})`],
        ['byte_size', `COALESCE(byte_size, ${v('byte_size')})`],
        ['width', `COALESCE(width, ${v('width')})`],
        ['height', `COALESCE(height, ${v('height')})`],
        ['updated_at', v('updated_at')],
      ])}`,

    // The annotator's columns only.
    recordAnnotation: `INSERT INTO images (filename, s3_key_original, s3_key_original_sha256, annotation, annotator, annotation_model, annotation_status, uploaded_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 'completed', ?, ?) ${d.onConflict([
        ['annotation', v('annotation')],
        ['annotator', v('annotator')],
        ['annotation_model', v('annotation_model')],
        ['annotation_status', `'completed'`],
        ['annotation_error', 'NULL'],
        ['updated_at', v('updated_at')],
      ])}`,

    markFailed: { thumbnail: failure('thumbnail'), annotation: failure('annotation') },

    deleteByHash: 'DELETE FROM images WHERE s3_key_original_sha256 = ?',
    selectById: `SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ?`,
    selectByHash: `SELECT ${IMAGE_COLUMNS} FROM images WHERE s3_key_original_sha256 = ?`,

    // Newest first; both forms walk the (uploaded_at, id) index backwards. The limit is a
    // validated integer written into the SQL: mysql2 binds JS numbers as DOUBLE, which MySQL
    // 8.0.22+ refuses for LIMIT in prepared statements.
    // `storedOnly` leaves out the rows of uploads whose bytes are still arriving (see STORED).
    firstPage: (limit: number, storedOnly: boolean) =>
      `SELECT ${IMAGE_COLUMNS} FROM images ${storedOnly ? `WHERE ${STORED} ` : ''}` +
      `ORDER BY uploaded_at DESC, id DESC LIMIT ${limit}`,
    // (uploaded_at, id) < (?, ?), spelled so that the leading `uploaded_at <= ?` bounds an index
    // range scan (row-value comparisons are not range-optimised on every server version).
    nextPage: (limit: number, storedOnly: boolean) =>
      `SELECT ${IMAGE_COLUMNS} FROM images WHERE ${storedOnly ? `${STORED} AND ` : ''}` +
      `uploaded_at <= ? AND (uploaded_at < ? OR id < ?) ORDER BY uploaded_at DESC, id DESC LIMIT ${limit}`,

    statuses: (count: number) =>
      `SELECT ${STATUS_COLUMNS} FROM images WHERE id IN (${Array.from({ length: count }, () => '?').join(', ')})`,

    ping: 'SELECT 1 AS ok',
  };
}

export type Queries = ReturnType<typeof buildQueries>;
