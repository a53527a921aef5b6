import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { startS3Server, type TestS3Server } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, DirectoryObjectStore, S3ObjectStore } from '../src/index.ts';

describe('createStorage', () => {
  let dataDir: string;
  let server: TestS3Server;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'storage-create-'));
    server = await startS3Server(['cfg-originals', 'cfg-thumbnails']);
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await server?.stop();
  });

  it('gives two directory stores under DATA_DIR by default', async () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const storage = createStorage(config.storage, config.presign);
    expect(storage.originals).toBeInstanceOf(DirectoryObjectStore);
    expect([storage.originals.bucket, storage.thumbnails.bucket]).toEqual(['originals', 'thumbnails']);
    await storage.thumbnails.put('thumbnails/x/t.jpg', Buffer.from('thumb'));
    const file = path.join(dataDir, 'blobs', 'thumbnails', 'thumbnails', 'x', 't.jpg');
    expect(await readFile(file, 'utf8')).toBe('thumb');
    expect(await storage.thumbnails.urlFor('thumbnails/x/t.jpg')).toBe(
      '/files/thumbnails/thumbnails/x/t.jpg',
    );
  });

  it('gives two S3 stores sharing one client from the S3 settings', async () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      ...server.env({ originals: 'cfg-originals', thumbnails: 'cfg-thumbnails' }),
    });
    const storage = createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: server.credentials },
    });
    const { originals, thumbnails } = storage;
    expect(originals).toBeInstanceOf(S3ObjectStore);
    expect(thumbnails).toBeInstanceOf(S3ObjectStore);
    expect((originals as S3ObjectStore).client).toBe((thumbnails as S3ObjectStore).client);
    expect([originals.bucket, thumbnails.bucket]).toEqual(['cfg-originals', 'cfg-thumbnails']);

    await originals.put('uploads/c/o.jpg', Buffer.from('original'));
    expect(await thumbnails.head('uploads/c/o.jpg')).toBeNull(); // separate buckets
    const url = await originals.urlFor('uploads/c/o.jpg');
    expect(url).toMatch(new RegExp(`^${server.endpoint}/cfg-originals/uploads/c/o\\.jpg\\?`));
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(await (await fetch(url)).text()).toBe('original');
    (originals as S3ObjectStore).client.destroy();
  });
});
