import type { AppConfig } from '@annot/config';
import { thumbnailKeyFor } from '@annot/object-keys';
import {
  createStageWorker,
  type EventWorker,
  type StageDeps,
  type StageSettings,
  stageSettings,
} from '@annot/worker-runtime';
import { makeThumbnail, type ThumbnailSettings } from './thumbnail.ts';

export const THUMBNAIL_CONTENT_TYPE = 'image/jpeg';
/** Thumbnail keys are unique per upload and never rewritten with different content. */
const THUMBNAIL_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** The thumbnail settings, the limits on an original, and the stage's lease. */
export type ThumbnailerSettings = ThumbnailSettings & StageSettings;

/** The thumbnailer's settings from the one configuration: built here, for Lambda and local runs alike. */
export function thumbnailerSettings(
  config: Pick<AppConfig, 'thumbnail' | 'limits' | 'stageLeaseMs'>,
): ThumbnailerSettings {
  return { ...config.thumbnail, ...stageSettings(config) };
}

export interface ThumbnailerDeps extends StageDeps {
  readonly settings: ThumbnailerSettings;
}

/**
 * The transport-independent thumbnailer, on the shared stage runner: it resolves when the
 * thumbnail is recorded, when a permanent failure is recorded as thumbnail_status = failed, or when
 * there is nothing to do (a duplicate delivery, a withdrawn upload); it throws on transient failures
 * (storage, database) so the platform retries, and throws InvalidEventError on a malformed event.
 */
export function createThumbnailer(deps: ThumbnailerDeps): EventWorker {
  const { settings, storage, repository } = deps;
  return createStageWorker(deps, {
    name: 'thumbnail',
    maxInputBytes: settings.maxInputBytes,
    leaseMs: settings.stageLeaseMs,
    // The row is the record: the thumbnail object is written before the row says completed. (The
    // thumbnailer's IAM role may write thumbnails but not read them, so it does not HEAD the object.)
    alreadyDone: (row, key) =>
      row.thumbnailStatus === 'completed' && row.thumbnailKey === thumbnailKeyFor(key)
        ? 'already thumbnailed'
        : undefined,
    work: (image) => makeThumbnail(image, settings),
    // A withdrawn upload keeps no thumbnail (a delete of a missing object is no error).
    discard: (key) => storage.thumbnails.delete(thumbnailKeyFor(key)),
    async record(thumbnail, image, key) {
      const thumbnailKey = thumbnailKeyFor(key);
      await storage.thumbnails.put(thumbnailKey, thumbnail.data, {
        contentType: THUMBNAIL_CONTENT_TYPE,
        contentLength: thumbnail.data.length,
        cacheControl: THUMBNAIL_CACHE_CONTROL,
      });
      const recorded = await repository.recordThumbnail({
        originalKey: key,
        thumbnailKey,
        contentType: image.format.contentType,
        byteSize: image.size,
        width: thumbnail.original.orientedWidth,
        height: thumbnail.original.orientedHeight,
      });
      // No row: the upload was withdrawn meanwhile; the runner discards the thumbnail just written.
      if (!recorded) return null;
      return {
        thumbnailKey,
        width: thumbnail.original.orientedWidth,
        height: thumbnail.original.orientedHeight,
        thumbnailBytes: thumbnail.data.length,
      };
    },
  });
}
