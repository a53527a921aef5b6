/**
 * The image formats the platform accepts: the one list every part reads (the upload check, both
 * workers, the gallery's labels, the upload page's text).
 *
 * SVG is refused on purpose: rasterising it means running an XML parser and librsvg (CSS, text
 * layout, filters) over untrusted input, SVGs can reference external resources and embed scripts,
 * and a tiny file can ask for an enormous canvas. HEIC, TIFF, PDF, BMP and the rest are refused
 * because browsers cannot show them (HEIC, TIFF) or they are not pictures (PDF).
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif';

export interface FormatInfo {
  readonly format: ImageFormat;
  /** What people call it: "JPEG". */
  readonly name: string;
  /** The content type originals are stored with. */
  readonly contentType: string;
  /** The extension stored keys get (never taken from the client's file name). */
  readonly extension: string;
  /** The MIME types file-type reports for it (an animated PNG is a PNG). */
  readonly detectedAs: readonly string[];
  /** What sharp's metadata() calls it (AVIF is decoded by the HEIF loader). */
  readonly sharpFormat: string;
}

export const ACCEPTED_FORMATS: readonly FormatInfo[] = [
  {
    format: 'jpeg',
    name: 'JPEG',
    contentType: 'image/jpeg',
    extension: '.jpg',
    detectedAs: ['image/jpeg'],
    sharpFormat: 'jpeg',
  },
  {
    format: 'png',
    name: 'PNG',
    contentType: 'image/png',
    extension: '.png',
    detectedAs: ['image/png', 'image/apng'],
    sharpFormat: 'png',
  },
  {
    format: 'webp',
    name: 'WebP',
    contentType: 'image/webp',
    extension: '.webp',
    detectedAs: ['image/webp'],
    sharpFormat: 'webp',
  },
  {
    format: 'gif',
    name: 'GIF',
    contentType: 'image/gif',
    extension: '.gif',
    detectedAs: ['image/gif'],
    sharpFormat: 'gif',
  },
  {
    format: 'avif',
    name: 'AVIF',
    contentType: 'image/avif',
    extension: '.avif',
    detectedAs: ['image/avif'],
    sharpFormat: 'heif',
  },
];

const BY_FORMAT = new Map(ACCEPTED_FORMATS.map((info) => [info.format, info]));
const BY_CONTENT_TYPE = new Map(ACCEPTED_FORMATS.map((info) => [info.contentType, info]));

export function formatInfo(format: ImageFormat): FormatInfo {
  return BY_FORMAT.get(format)!;
}

/** The accepted format stored with this content type, if it is one. */
export function formatOfContentType(contentType: string | null | undefined): FormatInfo | undefined {
  return contentType ? BY_CONTENT_TYPE.get(contentType.toLowerCase()) : undefined;
}

/** "JPEG, PNG, WebP, GIF or AVIF": for messages and the upload page. */
export const ACCEPTED_NAMES = listOf(ACCEPTED_FORMATS.map((info) => info.name));

function listOf(names: readonly string[]): string {
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** The `accept` attribute of the upload form: "image/jpeg,image/png,…". */
export const ACCEPT_ATTRIBUTE = ACCEPTED_FORMATS.map((info) => info.contentType).join(',');
