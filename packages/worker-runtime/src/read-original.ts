import { checkIntegrity, detectFormat, type FormatInfo, problems } from '@annot/image-rules';
import { ObjectNotFoundError, type ObjectStore, ObjectTooLargeError } from '@annot/storage';
import { PermanentFailure } from './failure.ts';

/** An original read into memory, checked: an accepted format, its container whole. */
export interface CheckedImage {
  readonly bytes: Uint8Array;
  /** The bytes actually read. */
  readonly size: number;
  /** Detected from the bytes (never from the stored content type or the name). */
  readonly format: FormatInfo;
}

/**
 * Reads an original into memory, refusing an oversized one from its size before any byte is read.
 * Resolves null when the object is gone (S3 is strongly consistent: it was deleted after the event
 * was sent); what that means depends on whether the image has a row, which the runner decides.
 */
export async function readOriginal(
  store: ObjectStore,
  key: string,
  maxBytes: number,
): Promise<Uint8Array | null> {
  const info = await store.head(key);
  if (info === null) return null;
  if (info.size > maxBytes) throw PermanentFailure.of(problems.tooLarge(info.size, maxBytes));
  try {
    return await store.getBytes(key, { maxBytes });
  } catch (error) {
    // Deleted or replaced between head and get: the same outcomes as above.
    if (error instanceof ObjectNotFoundError) return null;
    if (error instanceof ObjectTooLargeError) {
      throw PermanentFailure.of(problems.tooLarge(undefined, maxBytes), { cause: error });
    }
    throw error;
  }
}

/**
 * What both workers check before any decoder sees the bytes, with the same rules the upload check
 * used: the type from the magic bytes (an SVG or anything else unaccepted never reaches libvips),
 * and a whole container (a GIF or AVIF cut short decodes without complaint otherwise).
 */
export async function checkOriginal(bytes: Uint8Array): Promise<CheckedImage> {
  const detection = await detectFormat(bytes);
  if (!detection.accepted) throw PermanentFailure.of(detection.problem);
  const problem = checkIntegrity(bytes, detection.info);
  if (problem) throw PermanentFailure.of(problem);
  return { bytes, size: bytes.length, format: detection.info };
}
