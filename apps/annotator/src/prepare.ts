import { imageError, inspectImage, openImage } from './inspect.ts';

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
  bytes: Uint8Array,
  options: { maxEdge: number; maxInputPixels: number },
): Promise<PreparedImage> {
  await inspectImage(bytes, options.maxInputPixels);
  try {
    const { data, info } = await openImage(bytes, options.maxInputPixels)
      .rotate()
      .resize({ width: options.maxEdge, height: options.maxEdge, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .jpeg({ quality: 85, mozjpeg: false })
      .toBuffer({ resolveWithObject: true });
    return { data, mimeType: 'image/jpeg', width: info.width, height: info.height };
  } catch (error) {
    throw imageError(error, options.maxInputPixels);
  }
}
