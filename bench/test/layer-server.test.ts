import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { type ImageRepository, openRepository } from '@annot/db';
import { createStorage } from '@annot/storage';
import { fixturePath, ServerStartError, startServer } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVED_LAYERS } from '../src/upload/layers.ts';
import { uploadFile } from '../src/upload/multipart.ts';

// bench:upload-floor's layer servers (src/upload/layer-server.ts) must do their layer's work and
// no more. Here on SQLite and the directory store (DATA_DIR), started as the bench starts them.
describe('the upload floor layer servers', () => {
  let dataDir: string;
  let flowers: Buffer<ArrayBuffer>;
  let sha256: string;
  let repository: ImageRepository;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'layer-server-'));
    flowers = await readFile(fixturePath('flowers.jpeg'));
    sha256 = createHash('sha256').update(flowers).digest('hex');
    repository = await openRepository({ database: loadConfig({ DATA_DIR: dataDir }).database });
  });
  afterAll(async () => {
    await repository?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Uploads flowers.jpeg to the layer; resolves with what the layer says it read. */
  async function upload(layer: string): Promise<{ bytes: number; sha256: string; key?: string }> {
    const server = await startServer({
      entry: 'bench/src/upload/layer-server.ts',
      env: { DATA_DIR: dataDir, UPLOAD_FLOOR_LAYER: layer },
    });
    try {
      const result = await uploadFile(server.url, 'flowers.jpeg', flowers, 'image/jpeg');
      expect(result.status, result.body).toBe(201);
      return JSON.parse(result.body);
    } finally {
      await server.stop();
    }
  }

  const storedBytes = async (key: string) => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const { originals } = createStorage(config.storage, config.presign);
    return Buffer.from(await originals.getBytes(key));
  };

  /** A second upload's pending row, to try the content claim with. */
  const anotherRow = (originalKey: string) =>
    repository.createPending({
      filename: 'other.jpg',
      originalKey,
      contentType: 'image/jpeg',
      byteSize: null,
      width: 1,
      height: 1,
      uploader: null,
    });

  it('serves every layer but the app, in order', () => {
    expect(SERVED_LAYERS).toEqual(['node-http', 'fastify-multipart', 'put', 'insert', 'three-statements']);
  });

  it('node-http reads the whole request body', async () => {
    const read = await upload('node-http');
    // The multipart body: the file and its part's framing.
    expect(read.bytes).toBeGreaterThan(flowers.length);
    expect(read.bytes).toBeLessThan(flowers.length + 1024);
    expect(read.key).toBeUndefined();
  });

  it('fastify-multipart reads the file part, and stores nothing (it names no key)', async () => {
    expect(await upload('fastify-multipart')).toEqual({ bytes: flowers.length, sha256 });
  });

  it('put stores the file, and writes no row', async () => {
    const read = await upload('put');
    expect(read).toMatchObject({ bytes: flowers.length, sha256 });
    expect((await storedBytes(read.key!)).equals(flowers)).toBe(true);
    expect(await repository.getByOriginalKey(read.key!)).toBeNull();
  });

  it('insert writes the pending row, and neither claims the content nor records the size', async () => {
    const read = await upload('insert');
    expect((await storedBytes(read.key!)).equals(flowers)).toBe(true);
    const row = await repository.getByOriginalKey(read.key!);
    expect(row).toMatchObject({ originalKey: read.key, byteSize: null });
    // The content is still free: another row can claim it.
    const other = await anotherRow(`${read.key}-other`);
    expect(await repository.claimContent(other.originalKey, Buffer.from(sha256, 'hex'))).toBeNull();
    await repository.deleteByOriginalKey(other.originalKey);
  });

  it("three-statements also claims the content and records the original's size", async () => {
    const read = await upload('three-statements');
    expect((await storedBytes(read.key!)).equals(flowers)).toBe(true);
    const row = await repository.getByOriginalKey(read.key!);
    expect(row).toMatchObject({ originalKey: read.key, byteSize: flowers.length });
    const other = await anotherRow(`${read.key}-other`);
    // Claimed by the layer's row: a second claim names it.
    expect(await repository.claimContent(other.originalKey, Buffer.from(sha256, 'hex'))).toMatchObject({
      id: row!.id,
    });
  });

  it('refuses a layer it does not serve, naming the ones it does', async () => {
    const started = startServer({
      entry: 'bench/src/upload/layer-server.ts',
      env: { DATA_DIR: dataDir, UPLOAD_FLOOR_LAYER: 'app' },
    });
    await expect(started).rejects.toThrow(ServerStartError);
    await expect(started).rejects.toThrow(
      /UPLOAD_FLOOR_LAYER is "app"; it serves node-http, fastify-multipart/,
    );
  });
});
