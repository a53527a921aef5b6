import { GEMINI_INLINE_REQUEST_LIMIT_BYTES } from '@annot/config';
import { type CheckedImage, decoding } from '@annot/worker-runtime';
import { inspectImage, openImage } from './inspect.ts';

export interface PreparedImage {
  readonly data: Buffer;
  readonly mimeType: 'image/jpeg';
  readonly width: number;
  readonly height: number;
  /** The longest edge asked for; smaller than ANNOTATION_MAX_EDGE when the copy had to shrink to fit the request limit. */
  readonly edge: number;
}

/** Room in the request for the prompt, the response schema and the JSON around the image. */
const REQUEST_OVERHEAD_BYTES = 64 * 1024;

/**
 * The largest JPEG that fits in one generateContent request: base64 makes 3 bytes 4 characters,
 * and the rest of the request needs REQUEST_OVERHEAD_BYTES.
 */
export const MAX_INLINE_IMAGE_BYTES = Math.floor(
  ((GEMINI_INLINE_REQUEST_LIMIT_BYTES - REQUEST_OVERHEAD_BYTES) * 3) / 4,
);

/** Shrinks are tried at most this many times; each is aimed at 90% of the byte budget. */
const MAX_SHRINKS = 4;

/**
 * The copy of an original that is sent to the model: upright (EXIF orientation applied), sRGB,
 * transparency flattened onto white, first frame only, longest edge at most `maxEdge` (never
 * enlarged), as a quality-85 JPEG. A copy over `maxBytes` (default: what fits in Gemini's inline
 * request limit, MAX_INLINE_IMAGE_BYTES) is encoded again with a smaller edge, scaled by the square
 * root of the overshoot, until it fits; so no request goes over the limit, whatever the noise in
 * the image and ANNOTATION_MAX_EDGE.
 */
export async function prepareForModel(
  image: CheckedImage,
  options: { maxEdge: number; maxInputPixels: number; maxBytes?: number },
): Promise<PreparedImage> {
  const maxBytes = options.maxBytes ?? MAX_INLINE_IMAGE_BYTES;
  await inspectImage(image, options.maxInputPixels);
  let edge = options.maxEdge;
  for (let shrinks = 0; ; shrinks++) {
    const { data, info } = await encode(image, edge, options.maxInputPixels);
    if (data.length <= maxBytes) {
      return { data, mimeType: 'image/jpeg', width: info.width, height: info.height, edge };
    }
    const longest = Math.max(info.width, info.height);
    const smaller = Math.floor(longest * Math.sqrt((maxBytes * 0.9) / data.length));
    if (shrinks >= MAX_SHRINKS || smaller < 16) {
      // Not reachable with a JPEG of real pixels; said plainly rather than sent to be refused.
      throw new Error(
        `The copy for the model is still ${data.length} bytes at ${longest} px, over the ${maxBytes}-byte inline budget`,
      );
    }
    edge = Math.min(smaller, longest - 1);
  }
}

function encode(image: CheckedImage, edge: number, maxInputPixels: number) {
  return decoding(
    () =>
      openImage(image, maxInputPixels)
        .rotate()
        .resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .jpeg({ quality: 85, mozjpeg: false })
        .toBuffer({ resolveWithObject: true }),
    image,
    maxInputPixels,
  );
}
