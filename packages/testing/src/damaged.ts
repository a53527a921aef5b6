import { readFileSync } from 'node:fs';
import { fixturePath } from './fixtures.ts';

/**
 * Broken variants of the real fixtures, one set per accepted format, made the way files break in
 * practice: cut short (an interrupted copy or upload) at several points, or overwritten in a
 * field that matters. `caughtBy` says which check must notice: the container walk (which the
 * upload check runs too), or only the decoder (which the workers run).
 */
export type DamagedFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif';

export interface DamagedImage {
  readonly name: string;
  readonly format: DamagedFormat;
  readonly fixture: string;
  readonly bytes: Buffer;
  readonly damage: 'truncated' | 'corrupt';
  readonly caughtBy: 'structure' | 'decoder';
}

const SOURCES: Readonly<Record<DamagedFormat, string>> = {
  jpeg: 'flowers.jpeg',
  png: 'with-alpha.png',
  webp: '4.webp',
  gif: 'rotating-squares.gif',
  avif: 'pitm.avif',
};

/** Where files are cut, as fractions of their length (the GIF ends in zero padding after 95%). */
export const CUT_FRACTIONS = [0.05, 0.3, 0.6, 0.9] as const;

function load(format: DamagedFormat): Buffer {
  return readFileSync(fixturePath(SOURCES[format]));
}

function overwrite(bytes: Buffer, at: number, values: readonly number[]): Buffer {
  if (at < 0) throw new Error('damaged fixtures: the field to overwrite was not found');
  const copy = Buffer.from(bytes);
  copy.set(values, at);
  return copy;
}

const find = (bytes: Buffer, what: string | number[]) =>
  bytes.indexOf(typeof what === 'string' ? Buffer.from(what, 'latin1') : Buffer.from(what));

/** Every accepted format cut at every CUT_FRACTIONS point, plus the cuts people reported. */
export function truncatedImages(): DamagedImage[] {
  const out: DamagedImage[] = [];
  for (const format of Object.keys(SOURCES) as DamagedFormat[]) {
    const bytes = load(format);
    const cuts = CUT_FRACTIONS.map((fraction) => Math.floor(bytes.length * fraction));
    if (format === 'avif') cuts.push(20_000); // `head -c 20000 pitm.avif`: a green thumbnail before
    if (format === 'gif') cuts.push(5_000); // described as "animated with 4 frames" before
    for (const cut of cuts) {
      out.push({
        name: `${SOURCES[format]} cut at ${cut} of ${bytes.length} bytes`,
        format,
        fixture: SOURCES[format],
        bytes: bytes.subarray(0, cut),
        damage: 'truncated',
        caughtBy: 'structure',
      });
    }
  }
  return out;
}

/** Overwritten fields: what the container walk sees, and what only a decoder can see. */
export function corruptImages(): DamagedImage[] {
  const jpeg = load('jpeg');
  const png = load('png');
  const gif = load('gif');
  const webp = load('webp');
  const avif = load('avif');
  const sof = find(jpeg, [0xff, 0xc0]);
  const variant = (
    format: DamagedFormat,
    what: string,
    bytes: Buffer,
    caughtBy: DamagedImage['caughtBy'],
  ): DamagedImage => ({
    name: `${SOURCES[format]} with ${what}`,
    format,
    fixture: SOURCES[format],
    bytes,
    damage: 'corrupt',
    caughtBy,
  });
  return [
    variant(
      'jpeg',
      'a bogus marker inside its scan',
      overwrite(jpeg, Math.floor(jpeg.length * 0.75), [0xff, 0x47]),
      'structure',
    ),
    variant('jpeg', 'a height of 0 in its frame header', overwrite(jpeg, sof + 5, [0, 0]), 'decoder'),
    variant('jpeg', 'a bad component count in its frame header', overwrite(jpeg, sof + 9, [9]), 'decoder'),
    variant(
      'png',
      'bytes flipped in its image data',
      overwrite(png, find(png, 'IDAT') + 40, [0xa5, 0xa5, 0xa5, 0xa5]),
      'structure',
    ),
    variant('png', 'a zero width in its header', overwrite(png, 16, [0, 0, 0, 0]), 'structure'),
    variant(
      'gif',
      'a broken block introducer',
      overwrite(gif, gif.indexOf(0x2c, 13 + 768), [0x99]),
      'structure',
    ),
    variant(
      'gif',
      'an LZW code size of 0',
      overwrite(gif, gif.indexOf(0x2c, 13 + 768) + 10, [0]),
      'structure',
    ),
    variant(
      'webp',
      'a RIFF size larger than its chunks',
      overwrite(webp, find(webp, 'VP8') + 4, [0xff, 0xff, 0xff, 0x0f]),
      'structure',
    ),
    variant(
      'webp',
      'a damaged frame header',
      overwrite(webp, find(webp, 'VP8') + 8, new Array(16).fill(0x33)),
      'decoder',
    ),
    variant(
      'avif',
      'a damaged item location box',
      overwrite(avif, find(avif, 'iloc') + 4, new Array(12).fill(0x77)),
      'decoder',
    ),
    variant(
      'avif',
      'a damaged image size property',
      overwrite(avif, find(avif, 'ispe') + 8, new Array(8).fill(0)),
      'decoder',
    ),
    variant('avif', 'a damaged first box', overwrite(avif, 0, [0x7f, 0xff, 0xff, 0xff]), 'structure'),
  ];
}

/** Words of the decoders and containers that a message shown to people must never carry. */
export const LIBRARY_WORDS =
  /vips|libpng|libjpeg|heif|gifload|webp:|buffer|premature|marker|chunk|\bbox\b|crc|lzw|riff/i;

/** Both kinds, for tests that run every broken file through a whole path. */
export function damagedImages(): DamagedImage[] {
  return [...truncatedImages(), ...corruptImages()];
}
