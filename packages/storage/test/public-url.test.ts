import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { startS3Server, type TestS3Server } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, InvalidObjectKeyError, S3ObjectStore } from '../src/index.ts';

// Keys as the thumbnailer writes them can carry any filename: spaces, non-ASCII, "+", "(", "!".
const KEYS: [key: string, path: string][] = [
  ['thumbnails/a1/my photo.jpg', 'thumbnails/a1/my%20photo.jpg'],
  ['thumbnails/a2/ünïcödé 写真.jpg', 'thumbnails/a2/%C3%BCn%C3%AFc%C3%B6d%C3%A9%20%E5%86%99%E7%9C%9F.jpg'],
  ['thumbnails/a3/1+1=2.jpg', 'thumbnails/a3/1%2B1%3D2.jpg'],
  ["thumbnails/a4/it's (final)!*.jpg", 'thumbnails/a4/it%27s%20%28final%29%21%2A.jpg'],
];

describe('THUMBNAILS_BASE_URL', () => {
  let dataDir: string;
  let server: TestS3Server;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'storage-public-url-'));
    server = await startS3Server(['pub-originals', 'pub-thumbnails']);
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await server?.stop();
  });

  function s3Storage(baseUrl: string) {
    const config = loadConfig({
      DATA_DIR: dataDir,
      THUMBNAILS_BASE_URL: baseUrl,
      ...server.env({ originals: 'pub-originals', thumbnails: 'pub-thumbnails' }),
    });
    const storage = createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: server.credentials },
    });
    return {
      originals: storage.originals as S3ObjectStore,
      thumbnails: storage.thumbnails as S3ObjectStore,
    };
  }

  it.each(KEYS)('S3: the thumbnail %j is <base>/<encoded key>, signed by nobody', async (key, encoded) => {
    const { originals, thumbnails } = s3Storage('https://d111111abcdef8.cloudfront.net/');
    expect(await thumbnails.urlFor(key)).toBe(`https://d111111abcdef8.cloudfront.net/${encoded}`);
    expect(thumbnails.presignStats()).toEqual({ signed: 0, cacheHits: 0 });
    originals.client.destroy();
  });

  it('S3: originals stay presigned', async () => {
    const { originals, thumbnails } = s3Storage('https://d111111abcdef8.cloudfront.net');
    const url = new URL(await originals.urlFor('uploads/o1/photo.jpg'));
    expect(url.origin).toBe(server.endpoint);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(originals.presignStats().signed).toBe(1);
    expect(thumbnails.presignStats().signed).toBe(0);
    originals.client.destroy();
  });

  it('S3: the encoded path names the same object to whatever serves the bucket', async () => {
    // s3rver serves anonymous GETs on a path-style URL, as CloudFront asks its S3 origin for the
    // viewer's path: the bytes that come back prove the encoding round-trips to the stored key.
    const { thumbnails } = s3Storage(`${server.endpoint}/pub-thumbnails`);
    for (const [key] of KEYS) {
      await thumbnails.put(key, Buffer.from(`bytes of ${key}`));
      const response = await fetch(await thumbnails.urlFor(key));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(`bytes of ${key}`);
    }
    expect(thumbnails.presignStats()).toEqual({ signed: 0, cacheHits: 0 });
    thumbnails.client.destroy();
  });

  it('the directory adapter honours it too, and still refuses hostile keys', async () => {
    const config = loadConfig({ DATA_DIR: dataDir, THUMBNAILS_BASE_URL: 'http://127.0.0.1:8080/t/' });
    const { originals, thumbnails } = createStorage(config.storage, config.presign);
    const [key, encoded] = KEYS[2]!;
    expect(await thumbnails.urlFor(key)).toBe(`http://127.0.0.1:8080/t/${encoded}`);
    expect(await originals.urlFor('uploads/o1/photo.jpg')).toBe('/files/originals/uploads/o1/photo.jpg');
    await expect(thumbnails.urlFor('thumbnails/../../etc/passwd')).rejects.toThrow(InvalidObjectKeyError);
  });

  it('unset, thumbnails are presigned as before', async () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      ...server.env({ originals: 'pub-originals', thumbnails: 'pub-thumbnails' }),
    });
    const { thumbnails } = createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: server.credentials },
    });
    expect(thumbnails).toBeInstanceOf(S3ObjectStore);
    const url = new URL(await thumbnails.urlFor(KEYS[0]![0]));
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect((thumbnails as S3ObjectStore).presignStats().signed).toBe(1);
    (thumbnails as S3ObjectStore).client.destroy();
  });
});
