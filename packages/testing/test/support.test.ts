import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACCEPTED_FIXTURES,
  createTestDatabase,
  fixturePath,
  mariaDbAvailable,
  REFUSED_FIXTURES,
  startS3Server,
} from '../src/index.ts';

describe('fixtures', () => {
  it.each(ACCEPTED_FIXTURES)('$name is a $type of $width x $height as the table says', async (fixture) => {
    const meta = await sharp(fixturePath(fixture.name)).metadata();
    expect(`image/${meta.format === 'jpeg' ? 'jpeg' : meta.format === 'heif' ? 'avif' : meta.format}`).toBe(
      fixture.type,
    );
    // The table gives the stored size; Landscape_6 and Portrait_8 are stored rotated (EXIF 6 and 8).
    const rotated = (meta.orientation ?? 1) >= 5;
    expect(rotated ? [meta.height, meta.width] : [meta.width, meta.height]).toEqual([
      fixture.width,
      fixture.height,
    ]);
  });

  it.each(REFUSED_FIXTURES)('%s exists', (name) => {
    expect(() => fixturePath(name)).not.toThrow();
  });

  it('names the variable to set when a fixture is missing', () => {
    expect(() => fixturePath('no-such-file.png')).toThrow(/FIXTURES_DIR/);
  });
});

describe('startS3Server', () => {
  it('serves the configured buckets on loopback', async () => {
    const server = await startS3Server(['support-test']);
    try {
      expect(new URL(server.endpoint).hostname).toBe('127.0.0.1');
      const client = new S3Client({
        endpoint: server.endpoint,
        region: server.region,
        forcePathStyle: true,
        credentials: server.credentials,
      });
      await client.send(new PutObjectCommand({ Bucket: 'support-test', Key: 'a b+c.txt', Body: 'hello' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'support-test', Key: 'a b+c.txt' }));
      expect(await got.Body?.transformToString()).toBe('hello');
    } finally {
      await server.stop();
    }
  });

  it('lists and aborts unfinished multipart uploads, which s3rver itself does not', async () => {
    const Bucket = 'support-multipart';
    const server = await startS3Server([Bucket]);
    try {
      const client = new S3Client({
        endpoint: server.endpoint,
        region: server.region,
        forcePathStyle: true,
        credentials: server.credentials,
      });
      const start = async (Key: string) => {
        const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
        const part = await client.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'part one' }),
        );
        return { Key, UploadId: UploadId!, ETag: part.ETag! };
      };
      const cut = await start('uploads/1/cut short.jpg');
      const other = await start('elsewhere/2.jpg');
      const done = await start('uploads/3/done.jpg');
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: done.Key,
          UploadId: done.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: done.ETag }] },
        }),
      );

      const listed = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: 'uploads/' }));
      expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[cut.Key, cut.UploadId]]);
      expect(listed.Uploads?.[0]?.Initiated).toBeInstanceOf(Date);
      expect((await server.multipartUploads(Bucket)).map((u) => u.key).sort()).toEqual([other.Key, cut.Key]);

      await client.send(new AbortMultipartUploadCommand({ Bucket, Key: cut.Key, UploadId: cut.UploadId }));
      expect((await server.multipartUploads(Bucket)).map((u) => u.key)).toEqual([other.Key]);
      await expect(
        client.send(new AbortMultipartUploadCommand({ Bucket, Key: cut.Key, UploadId: cut.UploadId })),
      ).rejects.toMatchObject({ name: 'NoSuchUpload' });
      // The completed one is an object as before.
      const got = await client.send(new GetObjectCommand({ Bucket, Key: done.Key }));
      expect(await got.Body?.transformToString()).toBe('part one');
    } finally {
      await server.stop();
    }
  });
});

describe.runIf(await mariaDbAvailable())('createTestDatabase', () => {
  const dropped: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of dropped) await drop();
  });

  it('creates distinct, empty utf8mb4 databases', async () => {
    const a = await createTestDatabase('support');
    const b = await createTestDatabase('support');
    dropped.push(a.drop, b.drop);
    expect(a.name).not.toBe(b.name);
    const connection = await mysql.createConnection({ uri: a.url });
    const [tables] = await connection.query('SHOW TABLES');
    const [charset] = await connection.query('SELECT @@character_set_database AS c');
    await connection.end();
    expect(tables).toEqual([]);
    expect((charset as { c: string }[])[0]?.c).toBe('utf8mb4');
  });
});
