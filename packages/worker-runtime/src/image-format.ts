/**
 * Recognises the image formats the workers accept from their first bytes, before any decoder sees
 * the data. Both workers check this first, so only these five ever reach libvips (sharp's
 * `metadata()` alone would already run the SVG loader); everything else is refused with a reason.
 *
 * SVG is refused on purpose: rasterising it means running an XML parser and librsvg (CSS, text
 * layout, filters) over untrusted input, SVGs can reference external resources and embed scripts,
 * and a tiny file can ask for an enormous canvas. The web tier does not accept SVG uploads either.
 */
export type AcceptedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif';

export const CONTENT_TYPES: Readonly<Record<AcceptedFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
};

export type Sniffed =
  | { readonly accepted: true; readonly format: AcceptedFormat }
  | { readonly accepted: false; readonly what: string };

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/** The ISO-BMFF brands of an `ftyp` box: the major brand and the compatible ones. */
function ftypBrands(bytes: Uint8Array): string[] {
  const size = Math.min(
    ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0,
    bytes.length,
    4096,
  );
  const brands = [ascii(bytes, 8, 12)];
  for (let offset = 16; offset + 4 <= size; offset += 4) brands.push(ascii(bytes, offset, offset + 4));
  return brands;
}

export function sniffImage(bytes: Uint8Array): Sniffed {
  if (bytes.length < 12) return { accepted: false, what: 'an empty or tiny file' };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { accepted: true, format: 'jpeg' };
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return { accepted: true, format: 'png' };
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')
    return { accepted: true, format: 'gif' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP')
    return { accepted: true, format: 'webp' };
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brands = ftypBrands(bytes);
    if (brands.some((b) => AVIF_BRANDS.has(b))) return { accepted: true, format: 'avif' };
    if (brands.some((b) => HEIC_BRANDS.has(b))) return { accepted: false, what: 'HEIC' };
    return { accepted: false, what: 'a video or other ISO media file' };
  }
  const head = new TextDecoder('utf-8', { fatal: false })
    .decode(bytes.subarray(0, 1024))
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<') && head.includes('<svg')) {
    return { accepted: false, what: 'SVG' };
  }
  if (ascii(bytes, 0, 4) === '%PDF') return { accepted: false, what: 'PDF' };
  if (ascii(bytes, 0, 4) === 'II*\0' || ascii(bytes, 0, 4) === 'MM\0*')
    return { accepted: false, what: 'TIFF' };
  if (ascii(bytes, 0, 2) === 'BM') return { accepted: false, what: 'BMP' };
  return { accepted: false, what: 'an unrecognised file type' };
}

/** The reason recorded for a refused file. */
export function unsupportedReason(what: string): string {
  const accepted = 'JPEG, PNG, WebP, GIF or AVIF';
  if (what === 'SVG') return `Not a supported image (SVG is not accepted; use ${accepted})`;
  return `Not a supported image (${what}; use ${accepted})`;
}
