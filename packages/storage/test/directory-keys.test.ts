import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryObjectStore, InvalidObjectKeyError, resolveObjectPath } from '../src/index.ts';

const HOSTILE_KEYS = [
  '../x',
  '../../etc/passwd',
  '/etc/passwd',
  'uploads/../../x',
  'uploads/./x',
  'a\\b',
  '..\\..\\x',
  'a\u0000b',
  'uploads/\u0000',
  'a//b',
  'a/',
  '',
  '.hidden',
  'uploads/.tmp-1234',
  `uploads/${'x'.repeat(256)}`,
  'x'.repeat(1025),
  'a\nb',
];

describe('directory adapter: keys cannot escape', () => {
  let parent: string;
  let root: string;
  let store: DirectoryObjectStore;
  beforeAll(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'storage-keys-'));
    root = path.join(parent, 'root');
    await mkdir(root);
    store = new DirectoryObjectStore({ root, bucket: 'originals' });
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it.each(HOSTILE_KEYS)('refuses %j in every operation', async (key) => {
    expect(() => resolveObjectPath(root, 'originals', key)).toThrow(InvalidObjectKeyError);
    await expect(store.put(key, Buffer.from('evil'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.get(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.getBytes(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.head(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.urlFor(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    // Nothing was written anywhere, inside the root or beside it.
    expect(await readdir(parent)).toEqual(['root']);
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses hostile bucket names', () => {
    for (const bucket of ['..', '../x', 'a/b', '.meta', '', 'UP']) {
      expect(() => resolveObjectPath(root, bucket, 'uploads/a.jpg')).toThrow(/bucket/i);
    }
  });

  it('maps good keys inside <root>/<bucket>/', () => {
    expect(resolveObjectPath(root, 'originals', 'uploads/abc/photo.jpg')).toBe(
      path.join(root, 'originals', 'uploads', 'abc', 'photo.jpg'),
    );
    expect(resolveObjectPath('rel/dir', 'thumbnails', 'a b/ü+.jpg')).toBe(
      path.resolve('rel/dir', 'thumbnails', 'a b', 'ü+.jpg'),
    );
  });

  it('encodes keys into the file-route URL', async () => {
    const custom = new DirectoryObjectStore({ root, bucket: 'thumbnails', urlPrefix: '/media/' });
    expect(await custom.urlFor('thumbnails/a b/ü+x#?.jpg')).toBe(
      '/media/thumbnails/thumbnails/a%20b/%C3%BC%2Bx%23%3F.jpg',
    );
    expect(await store.urlFor('uploads/x.jpg')).toBe('/files/originals/uploads/x.jpg');
  });

  it('derives metadata for a file that has no sidecar', async () => {
    const file = path.join(root, 'originals', 'manual', 'placed.png');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'twelve bytes');
    await utimes(file, 1_700_000_000, 1_700_000_000);
    expect(await store.head('manual/placed.png')).toMatchObject({
      size: 12,
      contentType: 'image/png',
      etag: `c-${(1_700_000_000_000).toString(16)}`,
    });
    // A directory is not an object.
    expect(await store.head('manual')).toBeNull();
    await rm(path.join(root, 'originals'), { recursive: true });
  });

  it('keeps sidecars outside the bucket directory, where no key can reach them', async () => {
    await store.put('uploads/s/meta.jpg', Buffer.from('abc'), { contentType: 'image/jpeg' });
    expect(await readdir(path.join(root, 'originals', 'uploads', 's'))).toEqual(['meta.jpg']);
    expect(await readdir(path.join(root, '.meta', 'originals', 'uploads', 's'))).toEqual(['meta.jpg']);
    await store.delete('uploads/s/meta.jpg');
    expect(await readdir(path.join(root, '.meta', 'originals', 'uploads', 's'))).toEqual([]);
  });
});
