import { describe, expect, it } from 'vitest';
import {
  displayFilename,
  filenameFromKey,
  MAX_DISPLAY_NAME_LENGTH,
  newUploadId,
  parseUploadKey,
  safeFileName,
  thumbnailKeyFor,
  uploadKey,
} from '../src/index.ts';

// Exact outputs of the layout, edge by edge: each one pins a rule that a changed character class,
// anchor, bound or replacement would break (found by `pnpm mutate object-keys`, see MUTATION.md).
const ID = '0000000000abcdefabcdefab';

describe('newUploadId', () => {
  it('is 10 base-36 characters of the time, then 16 of randomness', () => {
    const id = newUploadId(1_700_000_000_000);
    expect(id.slice(0, 10)).toBe('00loyw3v28');
    expect(newUploadId(0).slice(0, 10)).toBe('0000000000');
    for (let i = 0; i < 200; i++) expect(newUploadId(0)).toMatch(/^0{10}[0-9a-z]{16}$/);
  });
});

describe('safeFileName, exactly', () => {
  it.each([
    ['a.b.JPG', 'a.b.jpg'],
    ['a...b.jpg', 'a.b.jpg'],
    ['-.a.-.jpg', 'a.jpg'],
    ['A  B', 'a-b'],
    ['ﬁ.jpg', 'fi.jpg'],
    ['x.abcdefghi', 'x.abcdefghi'],
    ['x.abcdefgh', 'x.abcdefgh'],
    ['.jpg', 'jpg'],
    ['..jpg', 'image.jpg'],
    ['photo.', 'photo'],
    ['a_b-c.png', 'a_b-c.png'],
    ['\u0000\u001f\u007f\u009f\u200b\u200f\u202a\u202e\u2066\u2069\ufeffok.png', 'ok.png'],
  ])('%j becomes %j', (name, safe) => {
    expect(safeFileName(name)).toBe(safe);
  });

  it('lower-cases the given extension and drops what is not [.a-z0-9] from it', () => {
    expect(safeFileName('photo.gif', '.WE-BP')).toBe('photo.webp');
  });

  it("replaces the name's own extension even behind trailing spaces", () => {
    expect(safeFileName('photo.gif  ', '.png')).toBe('photo.png');
  });

  it('cuts the stem so the whole name is 100 characters, and drops a dash or dot left at the cut', () => {
    expect(safeFileName(`${'a'.repeat(200)}.jpeg`)).toBe(`${'a'.repeat(95)}.jpeg`);
    expect(safeFileName(`${'a'.repeat(94)}-b.jpeg`)).toBe(`${'a'.repeat(94)}.jpeg`);
    expect(safeFileName(`${'a'.repeat(94)}.b.jpeg`)).toBe(`${'a'.repeat(94)}.jpeg`);
    expect(safeFileName(`${'a'.repeat(93)}.-b.jpeg`)).toBe(`${'a'.repeat(93)}.jpeg`);
  });
});

describe('displayFilename, exactly', () => {
  it('removes each kind of control, bidi and zero-width character, and nothing next to them', () => {
    const controls = '\u0000\u001f\u007f\u009f\u200b\u200f\u202a\u202e\u2066\u2069\ufeff';
    expect(displayFilename(`a${controls}b`)).toBe('ab');
    expect(displayFilename('a\u0020\u00a0\u2010\u2030\u2070b')).toBe('a \u00a0\u2010\u2030\u2070b');
  });

  it('composes accents (NFC) and trims spaces', () => {
    expect(displayFilename('  e\u0301.jpg  ')).toBe('\u00e9.jpg');
  });

  it('keeps a name of exactly 255 characters, and cuts a longer one to 255', () => {
    const exact = 'x'.repeat(MAX_DISPLAY_NAME_LENGTH);
    expect(displayFilename(exact)).toBe(exact);
    expect(displayFilename(`${exact}yz`)).toBe(exact);
  });
});

describe('upload ids and keys', () => {
  it.each([
    'ABCDEFGH12345678', // upper case before valid characters
    '12345678ABCDEFGH', // upper case after them
    '1234567', // 7 characters
    'a'.repeat(41),
  ])('refuses the id %j', (id) => {
    expect(() => uploadKey('a.jpg', { id })).toThrow(`uploadKey: invalid upload id ${JSON.stringify(id)}`);
    expect(parseUploadKey(`uploads/${id}/a.jpg`)).toBeNull();
  });

  it('accepts ids of 8 and of 40 characters', () => {
    expect(uploadKey('a.jpg', { id: '12345678' })).toBe('uploads/12345678/a.jpg');
    expect(uploadKey('a.jpg', { id: 'a'.repeat(40) })).toBe(`uploads/${'a'.repeat(40)}/a.jpg`);
  });

  it.each([`uploads/${ID}/`, `xuploads/${ID}/a.jpg`, `uploads${ID}/a.jpg`, 'uploads/abcdefghi'])(
    'does not parse %j',
    (key) => {
      expect(parseUploadKey(key)).toBeNull();
    },
  );
});

describe('thumbnailKeyFor, exactly', () => {
  it.each([
    [`uploads/${ID}/a.b.png`, `thumbnails/${ID}/a.b.jpg`],
    [`uploads/${ID}/photo`, `thumbnails/${ID}/photo.jpg`],
    ['uploads/some dir/../My Photo.PNG', 'thumbnails/some-dir/image/my-photo.jpg'],
    ['uploads//a.png', 'thumbnails/a.jpg'],
    ['uploads/x/photo.png', 'thumbnails/x/photo.jpg'],
    ['uploads/x/a.abcdefgh', 'thumbnails/x/a.jpg'],
    ['uploads/x/a.abcdefghi', 'thumbnails/x/a.abcdefghi.jpg'],
  ])('maps %j to %j', (original, thumbnail) => {
    expect(thumbnailKeyFor(original)).toBe(thumbnail);
  });

  it('cuts a long foreign key to 900 characters before the extension', () => {
    const key = thumbnailKeyFor(`uploads/${'abcdefghij/'.repeat(100)}`);
    expect(key).toBe(`thumbnails/${'abcdefghij/'.repeat(100).slice(0, 900)}.jpg`);
  });

  it.each(['uploadsx/a.jpg', 'uploads'])('refuses %j with the key in the message', (key) => {
    expect(() => thumbnailKeyFor(key)).toThrow(`thumbnailKeyFor: not an upload key: ${JSON.stringify(key)}`);
  });
});

it('quotes at most 200 characters of a refused key', () => {
  const key = `other/${'k'.repeat(300)}`;
  expect(() => thumbnailKeyFor(key)).toThrow(
    `thumbnailKeyFor: not an upload key: ${JSON.stringify(key.slice(0, 200))}`,
  );
  expect(() => thumbnailKeyFor(key)).not.toThrow(key.slice(0, 201));
});

describe('filenameFromKey', () => {
  it('is the last segment, or "unnamed" when there is none', () => {
    expect(filenameFromKey('uploads/x/')).toBe('unnamed');
    expect(filenameFromKey('photo.jpg')).toBe('photo.jpg');
  });
});
