import { type CheckedImage, decoding } from '@annot/worker-runtime';
import { inspectImage, openImage } from './inspect.ts';

export interface PreparedImage {
  readonly data: Buffer;
  readonly mimeType: 'image/jpeg';
  readonly width: number;
  readonly height: number;
}

/**
 * The copy of an original that is sent to the model: upright (EXIF orientation applied), sRGB,
 * transparency flattened onto white, first frame only, longest edge at most `maxEdge` (never
 * enlarged), as a quality-85 JPEG. Large originals so stay well under the inline request limit and
 * cost no more tokens than the model can use.
 */
export async function prepareForModel(
  image: CheckedImage,
  options: { maxEdge: number; maxInputPixels: number },
): Promise<PreparedImage> {
  await inspectImage(image, options.maxInputPixels);
  const { data, info } = await decoding(
    () =>
      openImage(image, options.maxInputPixels)
        .rotate()
        .resize({ width: options.maxEdge, height: options.maxEdge, fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .jpeg({ quality: 85, mozjpeg: false })
        .toBuffer({ resolveWithObject: true }),
    image,
    options.maxInputPixels,
  );
  return { data, mimeType: 'image/jpeg', width: info.width, height: info.height };
}
