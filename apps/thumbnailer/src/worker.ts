import { thumbnailKeyFor } from '@annot/object-keys';
import { originalGone, readOriginal, receiveEvent } from '@annot/worker-runtime';
import { PermanentThumbnailError, tooLargeError } from './errors.ts';
import { DEFAULT_MAX_INPUT_BYTES, makeThumbnail, type Thumbnail } from './thumbnail.ts';
import type { ThumbnailerDeps, WorkerOutcome } from './types.ts';

export const THUMBNAIL_CONTENT_TYPE = 'image/jpeg';
/** Thumbnail keys are unique per upload and never rewritten with different content. */
const THUMBNAIL_CACHE_CONTROL = 'public, max-age=31536000, immutable';

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
  const intake = receiveEvent(event, { logger, originalsBucket: storage.originals.bucket, requestId });
  if (!intake.accepted) return intake.outcome;
  const { key } = intake.event;
  const { log } = intake;
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
    const original = await readOriginalOf(deps, key);
    if (original === null) {
      return originalGone(existing, { logger, log }, (reason) => new PermanentThumbnailError(reason));
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

/** Reads the original, refusing an oversized one from its size before any byte is read. */
function readOriginalOf(deps: ThumbnailerDeps, key: string) {
  const maxBytes = deps.settings.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  return readOriginal(deps.storage.originals, key, { maxBytes, tooLarge: tooLargeError });
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

function describe(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.message.split('\n')[0] : undefined;
}
