import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

/** The repository root (where pnpm-workspace.yaml lives). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The shared real-world test images: `../shared/fixtures/images` beside the checkout, or
 * FIXTURES_DIR when set.
 */
export const fixturesDir = process.env.FIXTURES_DIR
  ? path.resolve(process.env.FIXTURES_DIR)
  : path.resolve(repoRoot, '../shared/fixtures/images');

export function fixturePath(name: string): string {
  const file = path.join(fixturesDir, name);
  if (!existsSync(file)) {
    throw new Error(
      `Fixture ${name} not found in ${fixturesDir}. Set FIXTURES_DIR to the shared fixtures/images folder.`,
    );
  }
  return file;
}

/** The fixture images a user may upload, with what they are. */
export const ACCEPTED_FIXTURES = [
  { name: 'Landscape_1.jpg', type: 'image/jpeg', width: 600, height: 450 },
  { name: 'Landscape_6.jpg', type: 'image/jpeg', width: 600, height: 450 },
  { name: 'Portrait_8.jpg', type: 'image/jpeg', width: 450, height: 600 },
  { name: 'flowers.jpeg', type: 'image/jpeg', width: 1920, height: 1080 },
  { name: '2569067123_aca715a2ee_o.jpg', type: 'image/jpeg', width: 2725, height: 2225 },
  { name: 'Channel_digital_image_CMYK_color.jpg', type: 'image/jpeg', width: 500, height: 333 },
  { name: '16-bit-grey-alpha.png', type: 'image/png', width: 109, height: 96 },
  { name: 'with-alpha.png', type: 'image/png', width: 256, height: 192 },
  { name: '4.webp', type: 'image/webp', width: 1024, height: 772 },
  { name: 'rotating-squares.gif', type: 'image/gif', width: 80, height: 80 },
  { name: 'pitm.avif', type: 'image/avif', width: 4096, height: 800 },
] as const;

/** Fixtures that must be refused. */
export const REFUSED_FIXTURES = ['corrupt-header.jpg', '65536-uint32-limit.png', 'circle.svg'] as const;

/**
 * The reason each refused fixture is given wherever it is refused (the upload check names the file
 * instead of "The file"); both workers must give the same one, at the default pixel limit.
 */
export const REFUSED_FIXTURE_REASONS: Readonly<Record<(typeof REFUSED_FIXTURES)[number], string>> = {
  'corrupt-header.jpg':
    'The file is incomplete: the JPEG data ends early, as if the file was cut off while it was copied or uploaded',
  '65536-uint32-limit.png':
    'The file is 65536 × 65536 pixels (4,295 megapixels), over the limit of 60 megapixels',
  'circle.svg': 'The file is not a supported image: only JPEG, PNG, WebP, GIF or AVIF images are accepted',
};

/**
 * A copy of a JPEG or PNG with different bytes but the same picture: a comment (JPEG COM segment
 * after SOI; PNG tEXt chunk after IHDR) holding `tag`. The platform stores each distinct content
 * once, so tests that need several images from one fixture upload distinct copies.
 */
export function distinctCopy(image: Uint8Array, tag: string): Buffer<ArrayBuffer> {
  const bytes = Buffer.from(image);
  const text = Buffer.from(`annot-test ${tag}`, 'latin1');
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(text.length + 2);
    return Buffer.concat([bytes.subarray(0, 2), Buffer.from([0xff, 0xfe]), length, text, bytes.subarray(2)]);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.subarray(0, 8).equals(signature)) {
    const ihdrEnd = 8 + 8 + bytes.readUInt32BE(8) + 4;
    const data = Buffer.concat([Buffer.from('tEXt', 'latin1'), Buffer.from('Comment\0', 'latin1'), text]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length - 4);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(data));
    return Buffer.concat([bytes.subarray(0, ihdrEnd), length, data, crc, bytes.subarray(ihdrEnd)]);
  }
  throw new Error('distinctCopy makes copies of JPEG and PNG images only');
}
