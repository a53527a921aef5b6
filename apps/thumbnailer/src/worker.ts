import type { AppConfig } from '@annot/config';
import { thumbnailKeyFor } from '@annot/object-keys';
import { createStageWorker, type EventWorker, imageLimits, type StageDeps } from '@annot/worker-runtime';
import { makeThumbnail, type ThumbnailSettings } from './thumbnail.ts';

export const THUMBNAIL_CONTENT_TYPE = 'image/jpeg';
/** Thumbnail keys are unique per upload and never rewritten with different content. */
const THUMBNAIL_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export type ThumbnailerSettings = ThumbnailSettings & {
  /** Originals larger than this are refused before being read (MAX_UPLOAD_BYTES). */
  readonly maxInputBytes: number;
};

/** The thumbnailer's settings from the one configuration: built here, for Lambda and local runs alike. */
export function thumbnailerSettings(config: Pick<AppConfig, 'thumbnail' | 'limits'>): ThumbnailerSettings {
  return { ...config.thumbnail, ...imageLimits(config) };
}

export interface ThumbnailerDeps extends StageDeps {
  readonly settings: ThumbnailerSettings;
}

/**
 * The transport-independent thumbnailer, on the shared stage runner: it resolves when the
 * thumbnail is recorded, when a permanent failure is recorded as thumbnail_status = failed, or when
 * there is nothing to do; it throws on transient failures (storage, database) so the platform
 * retries, and throws InvalidEventError on a malformed event.
 */
export function createThumbnailer(deps: ThumbnailerDeps): EventWorker {
  const { settings, storage, repository } = deps;
  return createStageWorker(deps, {
    name: 'thumbnail',
    maxInputBytes: settings.maxInputBytes,
    // The row is the record: the thumbnail object is written before the row says completed. (The
    // thumbnailer's IAM role may write thumbnails but not read them, so it does not HEAD the object.)
    alreadyDone: (row, key) =>
      row?.thumbnailStatus === 'completed' && row.thumbnailKey === thumbnailKeyFor(key)
        ? 'already thumbnailed'
        : undefined,
    work: (image) => makeThumbnail(image, settings),
    async record(thumbnail, image, key) {
      const thumbnailKey = thumbnailKeyFor(key);
      await storage.thumbnails.put(thumbnailKey, thumbnail.data, {
        contentType: THUMBNAIL_CONTENT_TYPE,
        contentLength: thumbnail.data.length,
        cacheControl: THUMBNAIL_CACHE_CONTROL,
      });
      await repository.recordThumbnail({
        originalKey: key,
        thumbnailKey,
        contentType: image.format.contentType,
        byteSize: image.size,
        width: thumbnail.original.orientedWidth,
        height: thumbnail.original.orientedHeight,
      });
      return {
        thumbnailKey,
        width: thumbnail.original.orientedWidth,
        height: thumbnail.original.orientedHeight,
        thumbnailBytes: thumbnail.data.length,
      };
    },
  });
}
