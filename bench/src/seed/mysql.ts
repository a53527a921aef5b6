import { keyHash, mysqlDialect, searchText } from '@annot/db';
import mysql from 'mysql2/promise';
import { generateRows, type SeedPlan, type SeedRow } from './rows.ts';

const COLUMNS = [
  'filename',
  's3_key_original',
  's3_key_original_sha256',
  's3_key_thumbnail',
  'annotation',
  'annotator',
  'annotation_model',
  'annotation_status',
  'annotation_error',
  'thumbnail_status',
  'thumbnail_error',
  'content_type',
  'byte_size',
  'width',
  'height',
  'uploaded_at',
  'updated_at',
  // The search text the repository writes with the filename and the annotation (migration 5).
  'search_filename',
  'search_annotation',
] as const;

/** ~1,000 rows of ~1 KB each: far below max_allowed_packet (16 MiB on MariaDB 10.11). */
const BATCH_ROWS = 1000;

export interface SeedResult {
  readonly rows: number;
  readonly ms: number;
  /** Upload time of the newest row written, so a later seed can continue after it. */
  readonly newestAtMs: number;
  /** Every row written, newest last (callers use a few to put objects in storage). */
  readonly written: SeedRow[];
}

/**
 * Seeds `images` (already migrated) with multi-row INSERTs on one connection: each statement is
 * one round trip and one commit, which makes 100,000 rows a matter of seconds. The key hash and the
 * time format are the repository's own (keyHash, mysqlDialect), so the rows are indistinguishable
 * from ones the app wrote.
 */
export async function seedMySql(url: string, plan: SeedPlan): Promise<SeedResult> {
  const started = performance.now();
  const connection = await mysql.createConnection({ uri: url });
  const written: SeedRow[] = [];
  let batch: unknown[][] = [];
  // The next batch is generated while the previous INSERT runs; one transaction saves a log flush
  // per statement.
  let inFlight: Promise<unknown> = connection.query('START TRANSACTION');
  const flush = async () => {
    await inFlight;
    if (batch.length > 0)
      inFlight = connection.query(`INSERT INTO images (${COLUMNS.join(', ')}) VALUES ?`, [batch]);
    batch = [];
  };
  try {
    for (const row of generateRows(plan)) {
      written.push(row);
      batch.push(toValues(row));
      if (batch.length >= BATCH_ROWS) await flush();
    }
    await flush();
    await inFlight;
    await connection.query('COMMIT');
  } finally {
    inFlight.catch(() => {}); // already reported by the await that failed
    await connection.end();
  }
  const newest = written.at(-1);
  return {
    rows: written.length,
    ms: performance.now() - started,
    newestAtMs: newest ? newest.uploadedAtMs : plan.startAtMs,
    written,
  };
}

function toValues(row: SeedRow): unknown[] {
  const at = mysqlDialect.toDbTime(row.uploadedAtMs);
  const annotated = row.annotationStatus === 'completed';
  return [
    row.filename,
    row.originalKey,
    keyHash(row.originalKey),
    row.thumbnailKey,
    row.annotation,
    annotated ? 'gemini' : null,
    annotated ? 'gemini-3.5-flash' : null,
    row.annotationStatus,
    row.annotationError,
    row.thumbnailStatus,
    row.thumbnailError,
    row.contentType,
    row.byteSize,
    row.width,
    row.height,
    at,
    at,
    searchText(row.filename),
    searchText(row.annotation),
  ];
}
