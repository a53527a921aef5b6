import { problems } from '@annot/image-rules';
import { type CheckedImage, decoding, PermanentFailure } from '@annot/worker-runtime';
import sharp, { type Metadata, type SharpOptions } from 'sharp';

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
  /** libvips stops a decode that takes longer (default 30 s). */
  readonly timeoutSeconds?: number;
}

export interface OriginalInfo {
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

/**
 * Makes a JPEG thumbnail of an original that @annot/worker-runtime's checkOriginal has accepted
 * (an accepted format, its container whole).
 *
 * - failOn 'error': an undecodable file fails; a recoverable libjpeg warning (such as extraneous
 *   bytes before a marker, common in phone photos that every browser shows) does not.
 * - One decode, straight from the compressed bytes into resize, so libvips uses shrink-on-load
 *   (JPEG DCT scaling, WebP/HEIF scaled decode): a 12 MP JPEG is decoded at 1/8 size, never in full.
 *   The earlier `metadata()` reads the header only.
 * - autoOrient applies the EXIF orientation; the first frame of an animation is used (pages: 1).
 * - Alpha is flattened onto the background; CMYK, grey and 16-bit inputs become 8-bit sRGB.
 * - No metadata is written: sharp strips EXIF (GPS included), XMP, IPTC and ICC unless asked to
 *   keep them, and the pixels are converted to sRGB so no profile is needed.
 *
 * Throws PermanentFailure for input that can never be thumbnailed, in @annot/image-rules' words.
 */
export async function makeThumbnail(image: CheckedImage, settings: ThumbnailSettings): Promise<Thumbnail> {
  const { bytes, format } = image;
  const options: SharpOptions = {
    failOn: 'error',
    sequentialRead: true,
    autoOrient: true,
    pages: 1,
    limitInputPixels: settings.maxInputPixels,
  };
  const decodeStep = <T>(step: () => Promise<T>) => decoding(step, image, settings.maxInputPixels);

  // The header alone, without the pixel limit, so an over-limit image can be refused with its size.
  const meta = await decodeStep(() => sharp(bytes, { ...options, limitInputPixels: false }).metadata());
  if (meta.format !== format.sharpFormat) {
    throw PermanentFailure.of(problems.mismatched(format, String(meta.format).toUpperCase()));
  }
  if (meta.width * meta.height > settings.maxInputPixels) {
    throw PermanentFailure.of(problems.tooManyPixels(meta.width, meta.height, settings.maxInputPixels));
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
  const { data, info } = await decodeStep(() => pipeline.toBuffer({ resolveWithObject: true }));

  return {
    data,
    info: { width: info.width, height: info.height, format: 'jpeg' },
    original: originalInfo(meta),
  };
}

function originalInfo(meta: Metadata): OriginalInfo {
  return {
    width: meta.width,
    height: meta.height,
    orientedWidth: meta.autoOrient.width,
    orientedHeight: meta.autoOrient.height,
  };
}
