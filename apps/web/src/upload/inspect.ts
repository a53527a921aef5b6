import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import type { HeadReader } from './head-reader.ts';
import { tooLarge, UploadRefusedError } from './refusal.ts';

/** The accepted types, keyed by the MIME type file-type reports, with what is stored. */
const ACCEPTED: ReadonlyMap<string, { contentType: string; extension: string }> = new Map([
  ['image/jpeg', { contentType: 'image/jpeg', extension: '.jpg' }],
  ['image/png', { contentType: 'image/png', extension: '.png' }],
  // An animated PNG is a PNG: decoders that do not know APNG show its first frame.
  ['image/apng', { contentType: 'image/png', extension: '.png' }],
  ['image/webp', { contentType: 'image/webp', extension: '.webp' }],
  ['image/gif', { contentType: 'image/gif', extension: '.gif' }],
  ['image/avif', { contentType: 'image/avif', extension: '.avif' }],
]);

/** file-type decides from the first 4100 bytes at most. */
const TYPE_SNIFF_BYTES = 4100;

/**
 * How far into a file its dimensions may sit. JPEG puts them in the SOF segment, after every
 * APPn segment, and EXIF thumbnails plus a large ICC profile push it far back (the CMYK fixture
 * has its SOF at 594 KB). Beyond this the file is refused as unreadable rather than buffered.
 */
export const MAX_HEADER_BYTES = 2 * 1024 * 1024;

export interface InspectedImage {
  readonly contentType: string;
  /** The extension stored keys get, from the detected type (never from the client's name). */
  readonly extension: string;
  /** Dimensions as displayed, after EXIF orientation. */
  readonly width: number;
  readonly height: number;
}

export interface InspectOptions {
  readonly maxInputPixels: number;
  readonly maxUploadBytes: number;
  /** True once the multipart parser cut the file at the size limit. */
  readonly truncated: () => boolean;
}

/**
 * Checks an upload from its first bytes only: not empty, a real image of an accepted type (magic
 * bytes, not the name or the client's Content-Type), a readable header, and a pixel count within
 * the limit. Throws UploadRefusedError; reads only as much of the stream as the header needs.
 */
export async function inspectUpload(reader: HeadReader, options: InspectOptions): Promise<InspectedImage> {
  await reader.fill(TYPE_SNIFF_BYTES);
  if (reader.length === 0) throw new UploadRefusedError('empty_file', 'is empty (0 bytes)');

  const detected = await fileTypeFromBuffer(reader.head());
  const accepted = detected ? ACCEPTED.get(detected.mime) : undefined;
  if (!accepted) {
    const what = detected ? ` (its content is ${detected.mime})` : '';
    throw new UploadRefusedError(
      'unsupported_type',
      `is not a supported image${what}: only JPEG, PNG, WebP, GIF and AVIF are accepted`,
    );
  }

  const size = await readDimensions(reader, options);
  const pixels = size.width * size.height;
  if (pixels > options.maxInputPixels) {
    throw new UploadRefusedError(
      'too_many_pixels',
      `is ${size.width} x ${size.height} pixels (${pixels}), over the limit of ${options.maxInputPixels} pixels`,
    );
  }
  return { ...accepted, ...size };
}

/** image-size throws on a header cut short, so read more until it succeeds or cannot. */
async function readDimensions(
  reader: HeadReader,
  options: InspectOptions,
): Promise<{ width: number; height: number }> {
  for (;;) {
    let size: ReturnType<typeof imageSize> | undefined;
    let failure: unknown;
    try {
      size = imageSize(reader.head());
    } catch (error) {
      failure = error;
    }
    if (size && size.width > 0 && size.height > 0) {
      // EXIF orientations 5 to 8 turn the picture a quarter: it is shown with the sides swapped.
      const turned = size.orientation !== undefined && size.orientation >= 5 && size.orientation <= 8;
      return turned ? { width: size.height, height: size.width } : { width: size.width, height: size.height };
    }
    if (options.truncated()) throw tooLarge(options.maxUploadBytes);
    if (reader.ended || reader.length >= MAX_HEADER_BYTES) {
      throw new UploadRefusedError(
        'corrupt_image',
        'is not a readable image: its header is corrupt or truncated',
        failure === undefined ? undefined : { cause: failure },
      );
    }
    await reader.fill(Math.min(reader.length * 2, MAX_HEADER_BYTES));
  }
}
