// What the system holds, read around the web tier (straight from MariaDB and s3rver, not through
// the proxies): the rows, the originals, and the multipart uploads nobody completed or aborted.
// After every scenario each row must have its original and each original its row.

import type { MultipartUpload, TestS3Server } from '@annot/testing';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import { poll } from './poll.ts';

export interface Row {
  readonly id: number;
  readonly originalKey: string;
  readonly uploadedAt: string;
}

export interface Holdings {
  readonly rows: readonly Row[];
  /** Keys in the originals bucket. */
  readonly objects: readonly string[];
  readonly multipartUploads: readonly MultipartUpload[];
}

export interface Mismatches {
  /** Rows whose original is not in the bucket (a pending row left behind). */
  readonly rowsWithoutObject: readonly string[];
  /** Originals no row points at. */
  readonly objectsWithoutRow: readonly string[];
  /** Multipart uploads neither completed nor aborted. */
  readonly unfinishedUploads: readonly string[];
}

/** How rows and originals fail to match one to one; all empty when they do. */
export function mismatches(holdings: Holdings): Mismatches {
  const objects = new Set(holdings.objects);
  const keys = new Set(holdings.rows.map((row) => row.originalKey));
  return {
    rowsWithoutObject: holdings.rows
      .filter((row) => !objects.has(row.originalKey))
      .map((row) => `#${row.id} ${row.originalKey} (created ${row.uploadedAt})`),
    objectsWithoutRow: holdings.objects.filter((key) => !keys.has(key)),
    unfinishedUploads: holdings.multipartUploads.map(
      (upload) => `${upload.key} (${upload.uploadId}, initiated ${upload.initiated.toISOString()})`,
    ),
  };
}

export function isOneToOne(found: Mismatches): boolean {
  return (
    found.rowsWithoutObject.length === 0 &&
    found.objectsWithoutRow.length === 0 &&
    found.unfinishedUploads.length === 0
  );
}

export interface Inspector {
  holdings(): Promise<Holdings>;
  /**
   * Reads the holdings every `everyMs` until rows and originals match one to one, for at most
   * `withinMs` (the sweep may still be reconciling); resolves with the last mismatches.
   */
  settle(withinMs: number, everyMs?: number): Promise<Mismatches>;
  close(): Promise<void>;
}

export function createInspector(options: {
  readonly databaseUrl: string;
  readonly s3: TestS3Server;
  readonly bucket: string;
}): Inspector {
  const pool = mysql.createPool({ uri: options.databaseUrl, connectionLimit: 2, dateStrings: true });
  const client = new S3Client({
    endpoint: options.s3.endpoint,
    region: options.s3.region,
    forcePathStyle: true,
    credentials: options.s3.credentials,
  });

  const listObjects = async (): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: options.bucket, ContinuationToken: token }),
      );
      for (const object of listed.Contents ?? []) if (object.Key) keys.push(object.Key);
      if (!listed.IsTruncated) return keys;
      token = listed.NextContinuationToken;
    }
    throw new Error(`${options.bucket}: more than 100 pages of objects`);
  };

  const holdings = async (): Promise<Holdings> => {
    const [[rows], objects, multipartUploads] = await Promise.all([
      pool.query(
        'SELECT id, s3_key_original AS originalKey, uploaded_at AS uploadedAt FROM images ORDER BY id',
      ),
      listObjects(),
      options.s3.multipartUploads(options.bucket),
    ]);
    return { rows: rows as Row[], objects, multipartUploads };
  };

  return {
    holdings,
    settle: (withinMs, everyMs = 250) =>
      poll(async () => mismatches(await holdings()), isOneToOne, { withinMs, everyMs }),
    async close() {
      client.destroy();
      await pool.end();
    },
  };
}
