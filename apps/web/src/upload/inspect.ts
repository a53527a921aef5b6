import { DETECT_BYTES, detectFormat, type FormatInfo, problems } from '@annot/image-rules';
import { imageSize } from 'image-size';
import type { HeadReader } from './head-reader.ts';
import { tooLarge, UploadRefusedError } from './refusal.ts';

/**
 * How far into a file its dimensions may sit. JPEG puts them in the SOF segment, after every
 * APPn segment, and EXIF thumbnails plus a large ICC profile push it far back (the CMYK fixture
 * has its SOF at 594 KB). Beyond this the file is refused as unreadable rather than buffered.
 */
export const MAX_HEADER_BYTES = 2 * 1024 * 1024;

export interface InspectedImage {
  /** The detected format: its content type and the extension stored keys get (never the client's). */
  readonly format: FormatInfo;
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
  await reader.fill(DETECT_BYTES);
  const detection = await detectFormat(reader.head());
  if (!detection.accepted) throw UploadRefusedError.of(detection.problem);

  const size = await readDimensions(reader, detection.info, options);
  if (size.width * size.height > options.maxInputPixels) {
    throw UploadRefusedError.of(problems.tooManyPixels(size.width, size.height, options.maxInputPixels));
  }
  return { format: detection.info, ...size };
}

/** image-size throws on a header cut short, so read more until it succeeds or cannot. */
async function readDimensions(
  reader: HeadReader,
  format: FormatInfo,
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
      throw UploadRefusedError.of(
        problems.unreadableHeader(format),
        failure === undefined ? undefined : { cause: failure },
      );
    }
    await reader.fill(Math.min(reader.length * 2, MAX_HEADER_BYTES));
  }
}
