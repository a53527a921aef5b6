import { sniffImage } from '@annot/worker-runtime';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { PermanentAnnotationError } from './errors.ts';

/** The formats an upload may have (the web tier accepts the same set). SVG is never rasterised. */
const SUPPORTED: Record<string, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  avif: 'AVIF',
};

/** Image formats sniffImage recognises but the platform does not accept. */
const OTHER_IMAGE_FORMATS = new Set(['SVG', 'HEIC', 'TIFF', 'BMP']);

export interface ImageInfo {
  readonly metadata: Metadata;
  /** Display name of the format, e.g. "JPEG". */
  readonly format: string;
  /** Dimensions after EXIF orientation is applied, i.e. as a person sees the image. */
  readonly width: number;
  readonly height: number;
}

/** A sharp pipeline over the first frame, with the pixel limit that guards against decompression bombs. */
export function openImage(bytes: Uint8Array, maxInputPixels: number): Sharp {
  return sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'error' });
}

/**
 * Reads the header and refuses what must never be decoded: unknown or unsupported formats, and
 * images over the pixel limit. Throws PermanentAnnotationError with a reason a person can read.
 */
export async function inspectImage(bytes: Uint8Array, maxInputPixels: number): Promise<ImageInfo> {
  // The magic bytes first: an SVG or other unaccepted file must never reach a decoder.
  const sniffed = sniffImage(bytes);
  if (!sniffed.accepted) {
    throw new PermanentAnnotationError(
      OTHER_IMAGE_FORMATS.has(sniffed.what)
        ? `Not a supported image format (${sniffed.what})`
        : 'Not an image, or an image format that is not supported',
    );
  }
  let metadata: Metadata;
  try {
    metadata = await openImage(bytes, maxInputPixels).metadata();
  } catch (error) {
    throw imageError(error, maxInputPixels);
  }
  // sharp reports AVIF as "heif"; only the AV1 flavour is an accepted upload type.
  const key = metadata.format === 'heif' && metadata.compression === 'av1' ? 'avif' : metadata.format;
  const format = SUPPORTED[key];
  if (format === undefined) {
    throw new PermanentAnnotationError(
      `Not a supported image format (${String(metadata.format).toUpperCase()})`,
    );
  }
  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  if (!width || !height) throw new PermanentAnnotationError('The image has no dimensions (corrupt header)');
  if (width * height > maxInputPixels) throw overLimit(width, height, maxInputPixels);
  return { metadata, format, width, height };
}

/** Maps a sharp/libvips failure to a permanent failure with a readable reason. */
export function imageError(error: unknown, maxInputPixels: number): PermanentAnnotationError {
  const message = error instanceof Error ? error.message : String(error);
  if (/exceeds pixel limit/i.test(message)) {
    return new PermanentAnnotationError(`The image is over the pixel limit of ${maxInputPixels} pixels`, {
      cause: error,
    });
  }
  if (/unsupported image format/i.test(message)) {
    return new PermanentAnnotationError('Not an image, or an image format that is not supported', {
      cause: error,
    });
  }
  const firstLine = message.split('\n')[0]?.trim() ?? '';
  return new PermanentAnnotationError(`The image could not be decoded (corrupt or truncated): ${firstLine}`, {
    cause: error,
  });
}

function overLimit(width: number, height: number, max: number): PermanentAnnotationError {
  return new PermanentAnnotationError(
    `The image is ${width}x${height} (${width * height} pixels), over the pixel limit of ${max} pixels`,
  );
}
