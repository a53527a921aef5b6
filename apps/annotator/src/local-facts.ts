import { type CheckedImage, decoding } from '@annot/worker-runtime';
import exifReader from 'exif-reader';
import type { Metadata } from 'sharp';
import { type ColourShare, paletteOf } from './colours.ts';
import { inspectImage, openImage } from './inspect.ts';

/** What image analysis can establish about a picture, without any model. */
export interface LocalFacts {
  readonly format: string;
  /** As seen upright, after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  readonly orientation: 'landscape' | 'portrait' | 'square';
  /** The stored pixels are rotated or flipped and EXIF says how to show them upright. */
  readonly exifRotated: boolean;
  readonly colourModel: 'colour' | 'greyscale' | 'CMYK';
  readonly bitsPerChannel: number;
  readonly hasAlpha: boolean;
  readonly transparentShare: number;
  readonly translucentShare: number;
  /** Frames of an animated GIF or WebP; 1 otherwise. */
  readonly frames: number;
  readonly colours: readonly ColourShare[];
  /** EXIF DateTimeOriginal as written by the camera clock (no time zone), "YYYY-MM-DD HH:MM:SS". */
  readonly capturedAt: string | undefined;
  readonly camera: string | undefined;
}

/** Edge of the thumbnail the colours are counted on: enough for shares, cheap to decode. */
const SAMPLE_EDGE = 64;

export async function analyseImage(image: CheckedImage, maxInputPixels: number): Promise<LocalFacts> {
  const { metadata, width, height } = await inspectImage(image, maxInputPixels);
  const format = image.format.name;
  const pixels = await decoding(
    () =>
      openImage(image, maxInputPixels)
        .rotate()
        .resize(SAMPLE_EDGE, SAMPLE_EDGE, { fit: 'inside' })
        .toColourspace('srgb')
        .ensureAlpha()
        .raw({ depth: 'uchar' })
        .toBuffer(),
    image,
    maxInputPixels,
  );
  const palette = paletteOf(pixels);
  const exif = readExif(metadata);
  return {
    format,
    width,
    height,
    orientation: width > height ? 'landscape' : width < height ? 'portrait' : 'square',
    exifRotated: (metadata.orientation ?? 1) > 1,
    colourModel:
      metadata.space === 'cmyk'
        ? 'CMYK'
        : /^(b-w|grey16)$/.test(metadata.space ?? '')
          ? 'greyscale'
          : 'colour',
    bitsPerChannel: metadata.depth === 'ushort' ? 16 : 8,
    hasAlpha: metadata.hasAlpha === true,
    transparentShare: palette.transparentShare,
    translucentShare: palette.translucentShare,
    // HEIF/AVIF "pages" are separate stored images, not an animation; only GIF and WebP animate.
    frames: animates(image) && (metadata.pages ?? 1) > 1 ? metadata.pages! : 1,
    colours: palette.colours,
    ...exif,
  };
}

const animates = (image: CheckedImage) => image.format.format === 'gif' || image.format.format === 'webp';

function readExif(metadata: Metadata): Pick<LocalFacts, 'capturedAt' | 'camera'> {
  if (!metadata.exif) return { capturedAt: undefined, camera: undefined };
  let tags: ReturnType<typeof exifReader>;
  try {
    tags = exifReader(metadata.exif);
  } catch {
    // Unreadable EXIF is common and harmless: the description simply leaves it out.
    return { capturedAt: undefined, camera: undefined };
  }
  const taken = tags.Photo?.DateTimeOriginal ?? tags.Photo?.DateTimeDigitized;
  // exif-reader reads the zone-less camera clock as if it were UTC; printing it in UTC gives it back.
  const capturedAt =
    taken instanceof Date && !Number.isNaN(taken.getTime())
      ? taken.toISOString().slice(0, 19).replace('T', ' ')
      : undefined;
  const make = clean(tags.Image?.Make);
  const model = clean(tags.Image?.Model);
  let camera: string | undefined;
  if (make && model) camera = model.toLowerCase().startsWith(make.toLowerCase()) ? model : `${make} ${model}`;
  else camera = model ?? make;
  return { capturedAt, camera };
}

/** EXIF strings are often NUL- or space-padded, and sometimes not strings at all. */
function clean(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.replace(/\0/g, '').trim();
  return trimmed === '' ? undefined : trimmed.slice(0, 80);
}
