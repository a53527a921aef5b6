import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectNotFoundError, ObjectTooLargeError } from '../../src/index.ts';
import { collect, md5 } from '../helpers/streams.ts';
import { type ContractHarness, freshKey, type HarnessFactory } from './harness.ts';

/** Put, get, head, delete, getBytes and urlFor: the same behaviour from every adapter. */
export function basicContract(name: string, factory: HarnessFactory): void {
  describe(`${name}: object store basics`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await factory();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('puts bytes and reads them back through get, getBytes and head', async () => {
      const key = freshKey('photo.jpg');
      const bytes = Buffer.from('not really a jpeg, but bytes all the same');
      const put = await h.store.put(key, bytes, { contentType: 'image/jpeg' });
      expect(put).toEqual({ key, size: bytes.length, etag: md5(bytes) });

      const got = await h.store.get(key);
      expect(await collect(got.body)).toEqual(bytes);
      expect(got.info).toMatchObject({
        key,
        size: bytes.length,
        contentType: 'image/jpeg',
        etag: md5(bytes),
      });
      expect(got.info.lastModified).toBeInstanceOf(Date);

      expect(Buffer.from(await h.store.getBytes(key))).toEqual(bytes);
      expect(await h.store.head(key)).toMatchObject({
        key,
        size: bytes.length,
        contentType: 'image/jpeg',
        etag: md5(bytes),
      });
    });

    it('puts a small stream with its content type', async () => {
      const key = freshKey('thumb.webp');
      const parts = [Buffer.from('first part, '), Buffer.from('second part')];
      const put = await h.store.put(key, Readable.from(parts), { contentType: 'image/webp' });
      const all = Buffer.concat(parts);
      expect(put).toMatchObject({ key, size: all.length });
      expect(Buffer.from(await h.store.getBytes(key))).toEqual(all);
      expect((await h.store.head(key))?.contentType).toBe('image/webp');
      expect((await h.store.head(key))?.etag).toBe(put.etag);
    });

    it('stores an empty object from an empty stream', async () => {
      const key = freshKey('empty.txt');
      expect((await h.store.put(key, Readable.from([]))).size).toBe(0);
      expect(await h.store.head(key)).toMatchObject({ size: 0 });
      expect((await h.store.getBytes(key)).byteLength).toBe(0);
    });

    it('replaces an object on a second put', async () => {
      const key = freshKey();
      await h.store.put(key, Buffer.from('version one'));
      await h.store.put(key, Buffer.from('v2'));
      expect(Buffer.from(await h.store.getBytes(key)).toString()).toBe('v2');
      expect((await h.store.head(key))?.size).toBe(2);
    });

    it('keeps keys with spaces, unicode and "+" distinct and intact', async () => {
      const base = freshKey('x').slice(0, -1);
      const keys = [`${base}a b.jpg`, `${base}a+b.jpg`, `${base}ünïcødé 写真.png`, `${base}a%20b.jpg`];
      for (const key of keys) await h.store.put(key, Buffer.from(key));
      for (const key of keys) {
        expect(Buffer.from(await h.store.getBytes(key)).toString()).toBe(key);
        expect(Buffer.from(await h.fetchUrl(await h.store.urlFor(key))).toString()).toBe(key);
      }
    });

    it('refuses getBytes over maxBytes, and allows exactly maxBytes', async () => {
      const key = freshKey();
      await h.store.put(key, Buffer.alloc(1000, 7));
      await expect(h.store.getBytes(key, { maxBytes: 999 })).rejects.toBeInstanceOf(ObjectTooLargeError);
      expect((await h.store.getBytes(key, { maxBytes: 1000 })).byteLength).toBe(1000);
    });

    it('reports a missing key: get and getBytes throw ObjectNotFoundError, head gives null', async () => {
      const key = freshKey('never-written.jpg');
      const error = await h.store.get(key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ObjectNotFoundError);
      expect((error as ObjectNotFoundError).key).toBe(key);
      await expect(h.store.getBytes(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await h.store.head(key)).toBeNull();
    });

    it('deletes, and deleting again or deleting a missing key is not an error', async () => {
      const key = freshKey();
      await h.store.put(key, Buffer.from('short-lived'));
      await h.store.delete(key);
      expect(await h.store.head(key)).toBeNull();
      await expect(h.store.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(h.store.delete(key)).resolves.toBeUndefined();
      await expect(h.store.delete(freshKey())).resolves.toBeUndefined();
    });

    it('gives a URL that serves the object', async () => {
      const key = freshKey('served.png');
      const bytes = Buffer.from('served bytes');
      await h.store.put(key, bytes, { contentType: 'image/png' });
      const url = await h.store.urlFor(key);
      expect(Buffer.from(await h.fetchUrl(url))).toEqual(bytes);
    });
  });
}
