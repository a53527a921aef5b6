import type { ObjectStore, Storage } from '@annot/storage';
import type { FastifyBaseLogger } from 'fastify';

/** The URLs a page or API response shows for an image. */
export interface ImageUrls {
  readonly thumbnailUrl: string | null;
  readonly originalUrl: string | null;
}

/**
 * A URL for a key, or null when the adapter refuses the key (a row a worker created from an
 * object put into the bucket by another tool could carry one). The adapter caches presigned URLs,
 * so this is a map lookup on a warm page.
 */
async function urlOrNull(store: ObjectStore, key: string, log: FastifyBaseLogger): Promise<string | null> {
  try {
    return await store.urlFor(key);
  } catch (error) {
    log.warn({ err: error, bucket: store.bucket, key }, 'no URL for stored key');
    return null;
  }
}

export async function imageUrls(
  storage: Storage,
  image: { originalKey: string; thumbnailKey: string | null; thumbnailStatus: string },
  log: FastifyBaseLogger,
): Promise<ImageUrls> {
  const thumbnail =
    image.thumbnailStatus === 'completed' && image.thumbnailKey
      ? urlOrNull(storage.thumbnails, image.thumbnailKey, log)
      : null;
  const [thumbnailUrl, originalUrl] = await Promise.all([
    thumbnail,
    urlOrNull(storage.originals, image.originalKey, log),
  ]);
  return { thumbnailUrl, originalUrl };
}

/** A thumbnail URL for a status row (which has no original key). */
export async function thumbnailUrl(
  storage: Storage,
  status: { thumbnailKey: string | null; thumbnailStatus: string },
  log: FastifyBaseLogger,
): Promise<string | null> {
  if (status.thumbnailStatus !== 'completed' || !status.thumbnailKey) return null;
  return urlOrNull(storage.thumbnails, status.thumbnailKey, log);
}
