import { problems } from '@annot/image-rules';
import { type CheckedImage, decoding, PermanentFailure } from '@annot/worker-runtime';
import sharp, { type Metadata, type Sharp } from 'sharp';

export interface ImageInfo {
  readonly metadata: Metadata;
  /** Dimensions after EXIF orientation is applied, i.e. as a person sees the image. */
  readonly width: number;
  readonly height: number;
}

/** A sharp pipeline over the first frame, with the pixel limit that guards against decompression bombs. */
export function openImage(image: CheckedImage, maxInputPixels: number): Sharp {
  return sharp(image.bytes, { limitInputPixels: maxInputPixels, failOn: 'error' });
}

/**
 * Reads the header of a checked image (an accepted format, its container whole) and refuses one
 * over the pixel limit. Throws PermanentFailure in @annot/image-rules' words.
 */
export async function inspectImage(image: CheckedImage, maxInputPixels: number): Promise<ImageInfo> {
  // The header alone, without the pixel limit, so an over-limit image is refused with its size.
  const metadata = await decoding(
    () => sharp(image.bytes, { failOn: 'error', limitInputPixels: false }).metadata(),
    image,
    maxInputPixels,
  );
  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  if (!width || !height) throw PermanentFailure.of(problems.unreadableHeader(image.format));
  if (width * height > maxInputPixels) {
    throw PermanentFailure.of(problems.tooManyPixels(width, height, maxInputPixels));
  }
  return { metadata, width, height };
}
