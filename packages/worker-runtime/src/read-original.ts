import type { ObjectStore } from '@annot/storage';
import type { LogContext, WorkerLogger, WorkerOutcome } from './types.ts';

export interface Original {
  readonly bytes: Uint8Array;
  /** The bytes actually read. */
  readonly size: number;
  /** The content type the object was stored with, when the store knows it. */
  readonly contentType: string | undefined;
}

export interface ReadOriginalOptions {
  readonly maxBytes: number;
  /**
   * The worker's permanent error for an original over the limit. `size` is undefined when the
   * object grew past the limit between `head` and the read, so only the read noticed.
   */
  readonly tooLarge: (size: number | undefined, maxBytes: number, cause?: unknown) => Error;
}

/**
 * Reads an original into memory, refusing an oversized one from its size before any byte is read.
 * Resolves null when the object is gone (S3 is strongly consistent: it was deleted after the event
 * was sent); what that means depends on whether the image has a row, which the worker decides.
 */
export async function readOriginal(
  store: ObjectStore,
  key: string,
  options: ReadOriginalOptions,
): Promise<Original | null> {
  const { maxBytes, tooLarge } = options;
  const info = await store.head(key);
  if (info === null) return null;
  if (info.size > maxBytes) throw tooLarge(info.size, maxBytes);
  try {
    const bytes = await store.getBytes(key, { maxBytes });
    return { bytes, size: bytes.length, contentType: info.contentType };
  } catch (error) {
    // Deleted or replaced between head and get: the same outcomes as above.
    if (isNamed(error, 'ObjectNotFoundError')) return null;
    if (isNamed(error, 'ObjectTooLargeError')) throw tooLarge(undefined, maxBytes, error);
    throw error;
  }
}

/**
 * What a worker does when `readOriginal` found no original. S3 is strongly consistent: a missing
 * object was deleted after the event was sent. With no row, the web tier withdrew a refused or
 * aborted upload and there is nothing to show, so the event is skipped. With a row, the person
 * should see why no result will ever appear, so the worker's permanent error is thrown, for the
 * worker to record the image as failed.
 */
export function originalGone(
  row: object | null,
  context: { readonly logger: WorkerLogger; readonly log: LogContext },
  permanent: (reason: string) => Error,
): WorkerOutcome {
  if (row) throw permanent('The original file no longer exists');
  context.logger.warn('Original is gone and has no row; upload was withdrawn, skipped', context.log);
  return { status: 'skipped', key: context.log.key, reason: 'original not found' };
}

/** By name rather than instanceof, so a second bundled copy of the storage package still matches. */
function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
