import type { ImageRecord, ImageRepository } from '@annot/db';
import { buildObjectCreatedEvent } from '@annot/events';
import { uploadKey } from '@annot/object-keys';
import type { Storage } from '@annot/storage';

/** Stores an original the way the web tier does and returns its key and the event S3 would send. */
export async function uploadOriginal(
  backend: { readonly storage: Storage },
  bytes: Uint8Array,
  filename: string,
  contentType: string,
) {
  const key = uploadKey(filename);
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
