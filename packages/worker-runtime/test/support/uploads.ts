import type { DatabaseConfig } from '@annot/config';
import { type ImageRecord, type ImageRepository, keyHash, openDriver, type Stage } from '@annot/db';
import { buildObjectCreatedEvent, buildStageRequestedEvent } from '@annot/events';
import { thumbnailKeyFor, uploadKey } from '@annot/object-keys';
import type { Storage } from '@annot/storage';

/**
 * Stores an original the way the web tier does, its pending row first and then the object (whose
 * put raises the event), and returns its key and the event S3 would send. With `row: false` only
 * the object is stored: a file put straight into the bucket, which the workers leave alone.
 */
export async function uploadOriginal(
  backend: { readonly storage: Storage; readonly repository: ImageRepository },
  bytes: Uint8Array,
  filename: string,
  contentType: string,
  options: { readonly row?: boolean } = {},
) {
  const key = uploadKey(filename);
  if (options.row ?? true) {
    await backend.repository.createPending({
      filename,
      originalKey: key,
      contentType,
      byteSize: bytes.length,
      width: null,
      height: null,
    });
  }
  const put = await backend.storage.originals.put(key, bytes, { contentType, contentLength: bytes.length });
  const event = buildObjectCreatedEvent({
    bucket: backend.storage.originals.bucket,
    key,
    size: put.size,
    etag: put.etag,
  });
  return { key, event };
}

/**
 * Every row whose original is `key`, found by walking all pages: the database's unique key should
 * make this at most one, and a test of that must not depend on how many rows other tests made.
 */
export async function rowsWithKey(backend: { readonly repository: ImageRepository }, key: string) {
  const rows: ImageRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await backend.repository.listPage({ limit: 200, cursor });
    rows.push(...page.images.filter((image) => image.originalKey === key));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return rows;
}

type Backend = { readonly storage: Storage; readonly repository: ImageRepository };

/**
 * What the web tier does when it withdraws an upload (refused, aborted, deleted): the row first,
 * then the original and the thumbnail. The row goes first so that a worker recording after it finds
 * no row (and removes its own thumbnail), while one that recorded before it has its thumbnail
 * deleted here.
 */
export async function withdrawUpload(backend: Backend, key: string): Promise<void> {
  await backend.repository.deleteByOriginalKey(key);
  await Promise.all([
    backend.storage.originals.delete(key),
    backend.storage.thumbnails.delete(thumbnailKeyFor(key)),
  ]);
}

/** What exists for an upload: its rows, its original, its thumbnail. */
export async function whatExists(backend: Backend, key: string) {
  const [rows, original, thumbnail] = await Promise.all([
    rowsWithKey(backend, key),
    backend.storage.originals.head(key),
    backend.storage.thumbnails.head(thumbnailKeyFor(key)),
  ]);
  return { rows: rows.length, original: original !== null, thumbnail: thumbnail !== null };
}

/**
 * A worker that claimed `stage` of the upload and died: its lease is never released. `runOut()`
 * resolves once the lease has run out.
 */
export async function deadHolder(
  backend: Backend,
  key: string,
  stage: 'thumbnail' | 'annotation',
  leaseMs = 1000,
): Promise<{ runOut(): Promise<void> }> {
  const claim = await backend.repository.claimStage({ originalKey: key, stage, leaseMs });
  if (!claim) throw new Error(`the ${stage} stage of ${key} is already claimed, or has no row`);
  return {
    runOut: () => new Promise((resolve) => setTimeout(resolve, claim.expiresAt.getTime() - Date.now() + 20)),
  };
}

/**
 * What a retry does to the row before it publishes its event (the repository's `retryStages`, from
 * the web tier): the stage goes back to `pending`, its failure reason cleared. Done here in plain
 * SQL on the test's own connection, so the worker tests do not depend on the web tier's method.
 */
export async function setStagePending(
  backend: { readonly config: { readonly database: DatabaseConfig } },
  key: string,
  stage: Stage,
): Promise<void> {
  const driver = openDriver(backend.config.database, { info() {}, warn() {} });
  try {
    const column = stage === 'thumbnail' ? 'thumbnail' : 'annotation';
    const result = await driver.run(
      `UPDATE images SET ${column}_status = 'pending', ${column}_error = NULL WHERE s3_key_original_sha256 = ?`,
      [keyHash(key)],
    );
    if (result.changes !== 1) throw new Error(`setStagePending: no row for ${key}`);
  } finally {
    await driver.close();
  }
}

/** The retry event the web tier publishes for one stage of an upload. */
export function retryEvent(backend: { readonly storage: Storage }, key: string, stage: Stage) {
  return buildStageRequestedEvent({ bucket: backend.storage.originals.bucket, key, stage });
}
