import type { Readable } from 'node:stream';
import { type AcceptedFormat, CONTENT_TYPES, sniffImage, unsupportedReason } from '@annot/worker-runtime';
import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { classifySharpError, PermanentThumbnailError, pixelLimitError } from './errors.ts';
import { readAll } from './read-all.ts';

export interface ThumbnailSettings {
  readonly width: number;
  readonly height: number;
  /** cover: crop to fill the box exactly; inside: the whole image, fitting within the box. */
  readonly fit: 'cover' | 'inside';
  readonly quality: number;
  /** What transparent pixels become, since JPEG has no alpha: "#ffffff". */
  readonly background: string;
  /** Largest accepted width x height of the original. */
  readonly maxInputPixels: number;
  /** Largest stream input read into memory (default 50 MiB, the upload limit's default). */
  readonly maxInputBytes?: number;
  /** libvips stops a decode that takes longer (default 30 s). */
  readonly timeoutSeconds?: number;
}

export interface OriginalInfo {
  readonly format: AcceptedFormat;
  readonly contentType: string;
  /** As stored, before EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** As displayed, after EXIF orientation: what the gallery records. */
  readonly orientedWidth: number;
  readonly orientedHeight: number;
}

export interface Thumbnail {
  readonly data: Buffer;
  readonly info: { readonly width: number; readonly height: number; readonly format: 'jpeg' };
  readonly original: OriginalInfo;
}

export const DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024;

/** What sharp's `format` says for each accepted format (AVIF is decoded by the HEIF loader). */
const SHARP_FORMAT: Readonly<Record<AcceptedFormat, string>> = {
  jpeg: 'jpeg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  avif: 'heif',
};

/**
 * Makes a JPEG thumbnail of an original.
 *
 * - Only JPEG, PNG, GIF, WebP and AVIF are decoded (checked from the bytes by @annot/worker-runtime's sniffImage).
 * - failOn 'error': a truncated or undecodable file fails; a recoverable libjpeg warning (such as
 *   extraneous bytes before a marker, common in phone photos that every browser shows) does not.
 * - One decode, straight from the compressed bytes into resize, so libvips uses shrink-on-load
 *   (JPEG DCT scaling, WebP/HEIF scaled decode): a 12 MP JPEG is decoded at 1/8 size, never in full.
 *   The earlier `metadata()` reads the header only.
 * - autoOrient applies the EXIF orientation; the first frame of an animation is used (pages: 1).
 * - Alpha is flattened onto the background; CMYK, grey and 16-bit inputs become 8-bit sRGB.
 * - No metadata is written: sharp strips EXIF (GPS included), XMP, IPTC and ICC unless asked to
 *   keep them, and the pixels are converted to sRGB so no profile is needed.
 *
 * Throws PermanentThumbnailError for input that can never be thumbnailed.
 */
export async function makeThumbnail(
  input: Uint8Array | Readable,
  settings: ThumbnailSettings,
): Promise<Thumbnail> {
  const bytes =
    input instanceof Uint8Array
      ? input
      : await readAll(input, settings.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES);
  const sniffed = sniffImage(bytes);
  if (!sniffed.accepted) throw new PermanentThumbnailError(unsupportedReason(sniffed.what));

  const options: SharpOptions = {
    failOn: 'error',
    sequentialRead: true,
    autoOrient: true,
    pages: 1,
    limitInputPixels: settings.maxInputPixels,
  };

  // The header alone, without the pixel limit, so an over-limit image can be refused with its size.
  const meta = await decodeStep(
    () => sharp(bytes, { ...options, limitInputPixels: false }).metadata(),
    settings,
  );
  if (meta.format !== SHARP_FORMAT[sniffed.format]) {
    throw new PermanentThumbnailError(
      unsupportedReason(`a ${meta.format} file disguised as ${sniffed.format}`),
    );
  }
  if (meta.width * meta.height > settings.maxInputPixels) {
    throw pixelLimitError(meta.width, meta.height, settings.maxInputPixels);
  }

  const pipeline = sharp(bytes, options);
  if (meta.hasAlpha && (meta.space === 'b-w' || meta.space === 'grey16')) {
    // flatten() on a grey image takes only one component of the background colour (magenta comes
    // out white), so grey + alpha is taken to sRGB first. Only then: for CMYK, converting at the
    // start instead of through the embedded profile at the end would change its colours.
    pipeline.pipelineColourspace('srgb');
  }
  pipeline
    .resize(settings.width, settings.height, { fit: settings.fit, kernel: 'lanczos3' })
    .flatten({ background: settings.background })
    .toColourspace('srgb')
    .jpeg({ quality: settings.quality, mozjpeg: false })
    .timeout({ seconds: settings.timeoutSeconds ?? 30 });
  const { data, info } = await decodeStep(() => pipeline.toBuffer({ resolveWithObject: true }), settings);

  return {
    data,
    info: { width: info.width, height: info.height, format: 'jpeg' },
    original: originalInfo(sniffed.format, meta),
  };
}

function originalInfo(format: AcceptedFormat, meta: Metadata): OriginalInfo {
  return {
    format,
    contentType: CONTENT_TYPES[format],
    width: meta.width,
    height: meta.height,
    orientedWidth: meta.autoOrient.width,
    orientedHeight: meta.autoOrient.height,
  };
}

/** Runs a sharp call, turning decode errors into permanent failures; out-of-memory is rethrown. */
async function decodeStep<T>(step: () => Promise<T>, settings: ThumbnailSettings): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw classifySharpError(error, settings.maxInputPixels) ?? error;
  }
}
