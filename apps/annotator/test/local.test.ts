import { ACCEPTED_FIXTURES, REFUSED_FIXTURE_REASONS, REFUSED_FIXTURES } from '@annot/testing';
import { checkOriginal, PermanentFailure } from '@annot/worker-runtime';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createAnnotator, LOCAL_MARKER } from '../src/index.ts';
import { checkedFixture, settingsFrom } from './support.ts';

const annotator = createAnnotator(settingsFrom({ LOCAL_ANNOTATOR: 'facts' }));

/** What the local annotator must say about each accepted fixture (dimensions as seen upright). */
const EXPECTED: Record<string, { size: string; orientation: string; format: string; also?: RegExp[] }> = {
  'Landscape_1.jpg': { size: '600x450', orientation: 'landscape', format: 'JPEG' },
  'Landscape_6.jpg': {
    size: '600x450',
    orientation: 'landscape',
    format: 'JPEG',
    also: [/upright using its EXIF orientation/],
  },
  'Portrait_8.jpg': {
    size: '450x600',
    orientation: 'portrait',
    format: 'JPEG',
    also: [/upright using its EXIF orientation/],
  },
  'flowers.jpeg': {
    size: '1920x1080',
    orientation: 'landscape',
    format: 'JPEG',
    also: [/taken on 2016-04-08 02:32:20 \(camera clock\)/, /Dominant colours: red/],
  },
  '2569067123_aca715a2ee_o.jpg': { size: '2725x2225', orientation: 'landscape', format: 'JPEG' },
  'Channel_digital_image_CMYK_color.jpg': {
    size: '500x333',
    orientation: 'landscape',
    format: 'JPEG',
    also: [/CMYK/, /taken on 2004-03-20 14:54:55 \(camera clock\) with a Canon EOS 300D DIGITAL\./],
  },
  '16-bit-grey-alpha.png': {
    size: '109x96',
    orientation: 'landscape',
    format: 'PNG',
    also: [/greyscale, 16 bits per channel, with transparency/],
  },
  'with-alpha.png': {
    size: '256x192',
    orientation: 'landscape',
    format: 'PNG',
    also: [/with transparency \(100% of pixels partly transparent\)/],
  },
  '4.webp': { size: '1024x772', orientation: 'landscape', format: 'WebP' },
  'rotating-squares.gif': {
    size: '80x80',
    orientation: 'square',
    format: 'GIF',
    also: [/animated with 30 frames/, /transparency/],
  },
  'pitm.avif': { size: '4096x800', orientation: 'landscape', format: 'AVIF' },
};

describe('local annotator on the accepted fixtures', () => {
  it('is marked as local, with its own model name', () => {
    expect(annotator).toMatchObject({ name: 'local', model: 'local-analysis-v1' });
  });

  it('has an expectation for every accepted fixture', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(ACCEPTED_FIXTURES.map((f) => f.name).sort());
  });

  it.each(Object.entries(EXPECTED))('%s', async (name, expected) => {
    const { annotation: text } = await annotator.describe(await checkedFixture(name));

    expect(text.startsWith(`${LOCAL_MARKER} `)).toBe(true);
    expect(text).toContain(`${expected.size} ${expected.orientation} ${expected.format} image`);
    for (const pattern of expected.also ?? []) expect(text).toMatch(pattern);
    // Only facts it computed: never a claim about what the picture shows.
    expect(text).toMatch(/Dominant colours: [a-z]+ \(\d+%\)/);
  });

  it('says nothing of EXIF, animation or transparency where there is none', async () => {
    const { annotation: text } = await annotator.describe(await checkedFixture('Landscape_1.jpg'));

    expect(text).not.toMatch(/EXIF|animated|transparen|CMYK|greyscale/);
  });
});

describe('local annotator colours', () => {
  it('names the colours of a synthetic image with their shares', async () => {
    // Left half red, right half white, 200x100.
    const red = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#d01010' } })
      .png()
      .toBuffer();
    const bytes = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#ffffff' } })
      .composite([{ input: red, left: 0, top: 0 }])
      .removeAlpha()
      .png()
      .toBuffer();

    const { annotation: text } = await annotator.describe(await checkOriginal(bytes));

    expect(text).toBe(
      `${LOCAL_MARKER} a 200x100 landscape PNG image. Dominant colours: red (50%) and white (50%).`,
    );
  });
});

describe('local annotator on the refused fixtures', () => {
  it.each(REFUSED_FIXTURES)('%s is a permanent failure (checked, then described)', async (name) => {
    const error = await checkedFixture(name)
      .then((image) => annotator.describe(image))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentFailure);
    expect((error as PermanentFailure).reason).toBe(REFUSED_FIXTURE_REASONS[name]);
  });

  it('covers every refused fixture', () => {
    expect(REFUSED_FIXTURES).toEqual(['corrupt-header.jpg', '65536-uint32-limit.png', 'circle.svg']);
  });

  it('refuses bytes that are not an image at all', async () => {
    const bytes = new TextEncoder().encode('%PDF-1.7 not an image');

    await expect(checkOriginal(bytes)).rejects.toThrow(/^The file is not a supported image/);
  });

  it('applies MAX_INPUT_PIXELS', async () => {
    const small = createAnnotator(settingsFrom({ LOCAL_ANNOTATOR: 'facts', MAX_INPUT_PIXELS: '100000' }));

    await expect(small.describe(await checkedFixture('flowers.jpeg'))).rejects.toThrow(
      /over the limit of 0.1 megapixels$/,
    );
  });
});
