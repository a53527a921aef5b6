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
