import { describe, expect, it } from 'vitest';
import {
  displayFilename,
  filenameFromKey,
  MAX_SAFE_NAME_LENGTH,
  newUploadId,
  parseUploadKey,
  safeFileName,
  thumbnailKeyFor,
  uploadKey,
} from '../src/index.ts';

const SAFE_SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;
const longUnicode = '写真🌸é'.repeat(75); // 300 characters, many of them multi-byte

describe('uploadKey', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['a/b\\c.jpg', 'c.jpg'],
    ['nul\u0000byte.png', 'nulbyte.png'],
    ['<script>alert(1)</script>.jpg', 'script.jpg'],
    ['  Été à Paris.JPG ', 'ete-a-paris.jpg'],
    ['..', 'image'],
    ['.hidden', 'hidden'],
    ['', 'image'],
    ['C:\\Users\\me\\photo.jpeg', 'photo.jpeg'],
    ['\u202egnp.exe', 'gnp.exe'],
  ])('gives a safe key for %j', (hostile, expectedName) => {
    const key = uploadKey(hostile, { id: '0000000000abcdefabcdefab' });
    expect(key).toBe(`uploads/0000000000abcdefabcdefab/${expectedName}`);
    expect(key.split('/')).toHaveLength(3);
  });

  it('keeps 300 characters of unicode down to a short ASCII segment', () => {
    const key = uploadKey(`${longUnicode}.png`);
    const name = key.split('/')[2]!;
    expect(name).toMatch(SAFE_SEGMENT);
    expect(name.length).toBeLessThanOrEqual(MAX_SAFE_NAME_LENGTH);
    expect(name.endsWith('.png')).toBe(true);
    expect(Buffer.byteLength(key)).toBeLessThan(200);
  });

  it('uses the detected type as the extension, whatever the name says', () => {
    expect(uploadKey('holiday.txt', { id: '0000000000abcdefabcdefab', extension: '.webp' })).toBe(
      'uploads/0000000000abcdefabcdefab/holiday.webp',
    );
  });

  it('gives two uploads of the same name different keys', () => {
    expect(uploadKey('a.jpg')).not.toBe(uploadKey('a.jpg'));
  });

  it('refuses an id that could change the layout', () => {
    expect(() => uploadKey('a.jpg', { id: '../x' })).toThrow(/invalid upload id/);
  });

  it('produces ids that sort by time', () => {
    expect(newUploadId(1_000) < newUploadId(2_000)).toBe(true);
    expect(newUploadId()).toMatch(/^[0-9a-z]{26}$/);
  });
});

describe('safeFileName', () => {
  it('never yields a dot segment or a path separator', () => {
    for (const name of ['.', '..', '...', '../', '/..', '\\..\\', '.. ..', '.-.']) {
      const safe = safeFileName(name);
      expect(safe).toMatch(SAFE_SEGMENT);
      expect(safe).not.toMatch(/^\.+$/);
    }
  });
});

describe('thumbnailKeyFor', () => {
  it('derives the thumbnail key from an upload key', () => {
    expect(thumbnailKeyFor('uploads/0000000000abcdefabcdefab/photo.png')).toBe(
      'thumbnails/0000000000abcdefabcdefab/photo.jpg',
    );
  });

  it('maps a foreign key under uploads/ deterministically to a safe key', () => {
    const key = thumbnailKeyFor('uploads/some dir/../My Photo.PNG');
    expect(key).toBe(thumbnailKeyFor('uploads/some dir/../My Photo.PNG'));
    expect(key.startsWith('thumbnails/')).toBe(true);
    expect(key.split('/').every((s) => s !== '..' && s !== '.')).toBe(true);
  });

  it.each(['thumbnails/a/b.jpg', 'other/a.jpg', 'uploads/'])('refuses %j, which is not an upload', (key) => {
    expect(() => thumbnailKeyFor(key)).toThrow(/not an upload key/);
  });
});

describe('parseUploadKey', () => {
  it('round-trips uploadKey', () => {
    const key = uploadKey('x.gif', { id: '0000000000abcdefabcdefab' });
    expect(parseUploadKey(key)).toEqual({ id: '0000000000abcdefabcdefab', name: 'x.gif' });
  });
  it.each(['uploads/x', 'uploads/AB/c.jpg', 'uploads/0000000000abcdefabcdefab/a/b.jpg', 'thumbs/x/y'])(
    'returns null for %j',
    (key) => {
      expect(parseUploadKey(key)).toBeNull();
    },
  );
});

describe('displayFilename', () => {
  it('keeps the name people gave, minus control characters', () => {
    expect(displayFilename('<img onerror=alert(1)>.jpg')).toBe('<img onerror=alert(1)>.jpg');
    expect(displayFilename('a\u0000b\u202e.jpg')).toBe('ab.jpg');
    expect(displayFilename('   ')).toBe('unnamed');
  });

  it('limits names to 255 characters without splitting a character', () => {
    const shown = displayFilename(longUnicode);
    expect(Array.from(shown)).toHaveLength(255);
    expect(shown).not.toMatch(/[\ud800-\udfff](?![\udc00-\udfff])/u);
  });

  it('names a row created from a key', () => {
    expect(filenameFromKey('uploads/0000000000abcdefabcdefab/photo.jpg')).toBe('photo.jpg');
  });
});
