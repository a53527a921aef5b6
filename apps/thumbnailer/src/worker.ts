import { InvalidEventError, type ObjectCreated, parseObjectCreatedEvent } from '@annot/events';
import { thumbnailKeyFor, UPLOADS_PREFIX } from '@annot/object-keys';
import { PermanentThumbnailError, tooLargeError } from './errors.ts';
import { summariseEvent } from './event-summary.ts';
import { DEFAULT_MAX_INPUT_BYTES, makeThumbnail, type Thumbnail } from './thumbnail.ts';
import type { ThumbnailerDeps, WorkerOutcome } from './types.ts';

export const THUMBNAIL_CONTENT_TYPE = 'image/jpeg';
/** Thumbnail keys are unique per upload and never rewritten with different content. */
const THUMBNAIL_CACHE_CONTROL = 'public, max-age=31536000, immutable';

type LogContext = { key: string; requestId: string | undefined; eventId: string };

/**
 * The transport-independent thumbnailer: the Lambda handler and the local event bus both call
 * `handle`. It resolves when the thumbnail is recorded, when a permanent failure is recorded as
 * thumbnail_status = failed, or when there is nothing to do; it throws on transient failures
 * (storage, database) so the platform retries, and throws InvalidEventError on a malformed event.
 */
export function createThumbnailer(deps: ThumbnailerDeps) {
  return {
    handle: (event: unknown, context: { requestId?: string } = {}) => handle(deps, event, context.requestId),
  };
}

async function handle(
  deps: ThumbnailerDeps,
  event: unknown,
  requestId: string | undefined,
): Promise<WorkerOutcome> {
  const { logger, repository, storage } = deps;
  let created: ObjectCreated;
  try {
    created = parseObjectCreatedEvent(event);
  } catch (error) {
    if (error instanceof InvalidEventError) {
      logger.error('Rejected a malformed event', {
        requestId,
        error: error.message,
        event: summariseEvent(event),
      });
    }
    throw error;
  }
  const { key } = created;
  const log: LogContext = { key, requestId, eventId: created.eventId };

  const notOurs = whyNotOurs(created, storage.originals.bucket);
  if (notOurs) {
    logger.warn('Skipped an event for an object that is not an upload', {
      ...log,
      bucket: created.bucket,
      reason: notOurs,
    });
    return { status: 'skipped', key, reason: notOurs };
  }
  const thumbnailKey = thumbnailKeyFor(key);

  // A redelivered event for a finished image: no second decode, no second write. The row is the
  // record: the thumbnail object is written before the row says completed. (The thumbnailer's IAM
  // role may write thumbnails but not read them, so it does not HEAD the object.)
  const existing = await repository.getByOriginalKey(key);
  if (existing?.thumbnailStatus === 'completed' && existing.thumbnailKey === thumbnailKey) {
    logger.info('Thumbnail already recorded; duplicate event skipped', { ...log, thumbnailKey });
    return { status: 'skipped', key, reason: 'already thumbnailed' };
  }

  const started = performance.now();
  try {
    const original = await readOriginal(deps, key);
    if (original === null) {
      // S3 is strongly consistent: a missing object was deleted after the event was sent. With no
      // row, the web tier withdrew a refused or aborted upload and there is nothing to show; with a
      // row, the person should see why no thumbnail will ever appear.
      if (!existing) {
        logger.warn('Original is gone and has no row; upload was withdrawn, skipped', log);
        return { status: 'skipped', key, reason: 'original not found' };
      }
      throw new PermanentThumbnailError('The original file no longer exists');
    }
    const thumbnail = await makeThumbnail(original.bytes, deps.settings);
    await storage.thumbnails.put(thumbnailKey, thumbnail.data, {
      contentType: THUMBNAIL_CONTENT_TYPE,
      contentLength: thumbnail.data.length,
      cacheControl: THUMBNAIL_CACHE_CONTROL,
    });
    await repository.recordThumbnail(thumbnailRecord(key, thumbnailKey, original.size, thumbnail));
    logger.info('Thumbnail written', {
      ...log,
      thumbnailKey,
      format: thumbnail.original.format,
      width: thumbnail.original.orientedWidth,
      height: thumbnail.original.orientedHeight,
      bytes: original.size,
      thumbnailBytes: thumbnail.data.length,
      durationMs: Math.round(performance.now() - started),
    });
    return { status: 'completed', key };
  } catch (error) {
    if (error instanceof PermanentThumbnailError) {
      await repository.markFailed({ originalKey: key, stage: 'thumbnail', reason: error.reason });
      logger.warn('Thumbnail refused; recorded as failed', {
        ...log,
        reason: error.reason,
        cause: describe(error.cause),
      });
      return { status: 'failed', key, reason: error.reason };
    }
    logger.error('Thumbnail failed with a transient error; rethrowing for a retry', { ...log, error });
    throw error;
  }
}

function whyNotOurs(created: ObjectCreated, originalsBucket: string): string | undefined {
  if (created.bucket !== originalsBucket) return `bucket ${created.bucket} is not the originals bucket`;
  if (!created.key.startsWith(UPLOADS_PREFIX) || created.key.endsWith('/')) {
    return `key is not an object under ${UPLOADS_PREFIX}`;
  }
  return undefined;
}

/** Reads the original, refusing an oversized one from its size before any byte is read. */
async function readOriginal(
  deps: ThumbnailerDeps,
  key: string,
): Promise<{ bytes: Uint8Array; size: number } | null> {
  const maxBytes = deps.settings.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const info = await deps.storage.originals.head(key);
  if (info === null) return null;
  if (info.size > maxBytes) throw tooLargeError(info.size, maxBytes);
  try {
    const bytes = await deps.storage.originals.getBytes(key, { maxBytes });
    return { bytes, size: bytes.length };
  } catch (error) {
    // Deleted or replaced between head and get: the same outcomes as above.
    if (isNamed(error, 'ObjectNotFoundError')) return null;
    if (isNamed(error, 'ObjectTooLargeError')) throw tooLargeError(undefined, maxBytes, error);
    throw error;
  }
}

function thumbnailRecord(originalKey: string, thumbnailKey: string, byteSize: number, thumbnail: Thumbnail) {
  return {
    originalKey,
    thumbnailKey,
    contentType: thumbnail.original.contentType,
    byteSize,
    width: thumbnail.original.orientedWidth,
    height: thumbnail.original.orientedHeight,
  };
}

/** By name rather than instanceof, so a second bundled copy of the storage package still matches. */
function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function describe(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.message.split('\n')[0] : undefined;
}
