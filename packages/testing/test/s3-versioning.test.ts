import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../src/index.ts';

const VERSIONED = 'versioned';
const PLAIN = 'plain';
let server: TestS3Server;
let client: S3Client;

beforeAll(async () => {
  server = await startS3Server([VERSIONED, PLAIN, 'later', 'adopted'], { versioned: [VERSIONED] });
  client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: server.credentials,
  });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

const put = (Bucket: string, Key: string, Body: string) =>
  client.send(new PutObjectCommand({ Bucket, Key, Body, ContentType: 'text/plain' }));
const read = async (Bucket: string, Key: string, VersionId?: string) => {
  const got = await client.send(new GetObjectCommand({ Bucket, Key, VersionId }));
  return got.Body?.transformToString();
};
const versionsOf = async (Bucket: string, Prefix: string) => {
  const listed = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix }));
  return {
    versions: (listed.Versions ?? []).map((v) => ({
      key: v.Key,
      id: v.VersionId,
      latest: v.IsLatest,
      size: v.Size,
    })),
    markers: (listed.DeleteMarkers ?? []).map((m) => ({ key: m.Key, id: m.VersionId, latest: m.IsLatest })),
  };
};
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { name: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
    }),
  );

describe('s3rver with versioning', () => {
  it('answers GetBucketVersioning and PutBucketVersioning', async () => {
    expect((await client.send(new GetBucketVersioningCommand({ Bucket: VERSIONED }))).Status).toBe('Enabled');
    expect((await client.send(new GetBucketVersioningCommand({ Bucket: PLAIN }))).Status).toBeUndefined();
    await client.send(
      new PutBucketVersioningCommand({ Bucket: 'later', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    expect((await client.send(new GetBucketVersioningCommand({ Bucket: 'later' }))).Status).toBe('Enabled');
    expect(await errorOf(client.send(new GetBucketVersioningCommand({ Bucket: 'no-such-bucket' })))).toEqual({
      name: 'NoSuchBucket',
      status: 404,
    });
  });

  it('keeps every write as a version, each with its id, the newest current', async () => {
    const one = await put(VERSIONED, 'doc.txt', 'one');
    const two = await put(VERSIONED, 'doc.txt', 'two!');
    expect(one.VersionId).toMatch(/^[\w-]{32}$/);
    expect(two.VersionId).not.toBe(one.VersionId);
    expect(await read(VERSIONED, 'doc.txt')).toBe('two!');
    expect(await read(VERSIONED, 'doc.txt', one.VersionId)).toBe('one');
    const head = await client.send(
      new HeadObjectCommand({ Bucket: VERSIONED, Key: 'doc.txt', VersionId: one.VersionId }),
    );
    expect([head.ContentLength, head.ContentType, head.VersionId]).toEqual([3, 'text/plain', one.VersionId]);
    expect((await client.send(new HeadObjectCommand({ Bucket: VERSIONED, Key: 'doc.txt' }))).VersionId).toBe(
      two.VersionId,
    );
    expect(await versionsOf(VERSIONED, 'doc.txt')).toEqual({
      versions: [
        { key: 'doc.txt', id: two.VersionId, latest: true, size: 4 },
        { key: 'doc.txt', id: one.VersionId, latest: false, size: 3 },
      ],
      markers: [],
    });
  });

  it('a plain DELETE only adds a delete marker: the bytes stay in a noncurrent version (the trap)', async () => {
    const written = await put(VERSIONED, 'trap.jpg', 'secret bytes');
    const deleted = await client.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'trap.jpg' }));
    expect(deleted.DeleteMarker).toBe(true);

    // To a reader the object is gone...
    expect(await errorOf(read(VERSIONED, 'trap.jpg'))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await errorOf(client.send(new HeadObjectCommand({ Bucket: VERSIONED, Key: 'trap.jpg' })))).toEqual(
      {
        name: 'NotFound',
        status: 404,
      },
    );
    const listed = await client.send(new ListObjectsCommand({ Bucket: VERSIONED, Prefix: 'trap' }));
    expect(listed.Contents ?? []).toEqual([]);
    // ...but the bytes are still stored, and readable by version.
    expect(await read(VERSIONED, 'trap.jpg', written.VersionId)).toBe('secret bytes');
    expect(await versionsOf(VERSIONED, 'trap.jpg')).toEqual({
      versions: [{ key: 'trap.jpg', id: written.VersionId, latest: false, size: 12 }],
      markers: [{ key: 'trap.jpg', id: deleted.VersionId, latest: true }],
    });
    // A delete marker cannot be read by version.
    expect(await errorOf(read(VERSIONED, 'trap.jpg', deleted.VersionId))).toEqual({
      name: 'MethodNotAllowed',
      status: 405,
    });
  });

  it('DELETE with a versionId removes that version for good; removing the current one makes the next current', async () => {
    const one = await put(VERSIONED, 'peel.txt', 'one');
    const two = await put(VERSIONED, 'peel.txt', 'two');
    const marker = await client.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'peel.txt' }));

    const gone = await client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'peel.txt', VersionId: marker.VersionId }),
    );
    expect([gone.VersionId, gone.DeleteMarker]).toEqual([marker.VersionId, true]);
    expect(await read(VERSIONED, 'peel.txt')).toBe('two');

    await client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'peel.txt', VersionId: two.VersionId }),
    );
    expect(await read(VERSIONED, 'peel.txt')).toBe('one');
    expect(await errorOf(read(VERSIONED, 'peel.txt', two.VersionId))).toEqual({
      name: 'NoSuchVersion',
      status: 404,
    });

    await client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'peel.txt', VersionId: one.VersionId }),
    );
    expect(await versionsOf(VERSIONED, 'peel.txt')).toEqual({ versions: [], markers: [] });
    expect(await errorOf(read(VERSIONED, 'peel.txt'))).toEqual({ name: 'NoSuchKey', status: 404 });
    // A version that is not there (any more) is not an error, as on S3.
    await client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'peel.txt', VersionId: one.VersionId }),
    );
  });

  it('DeleteObjects takes VersionIds (and adds markers without one)', async () => {
    const a1 = await put(VERSIONED, 'batch/a', 'a1');
    const a2 = await put(VERSIONED, 'batch/a', 'a2');
    await put(VERSIONED, 'batch/b', 'b');
    const result = await client.send(
      new DeleteObjectsCommand({
        Bucket: VERSIONED,
        Delete: {
          Objects: [
            { Key: 'batch/a', VersionId: a1.VersionId },
            { Key: 'batch/a', VersionId: a2.VersionId },
            { Key: 'batch/b' },
          ],
        },
      }),
    );
    expect(result.Errors ?? []).toEqual([]);
    expect(result.Deleted?.map((d) => [d.Key, d.VersionId, d.DeleteMarker ?? false])).toEqual([
      ['batch/a', a1.VersionId, false],
      ['batch/a', a2.VersionId, false],
      ['batch/b', undefined, true],
    ]);
    const listed = await versionsOf(VERSIONED, 'batch/');
    expect(listed.versions.map((v) => [v.key, v.latest])).toEqual([['batch/b', false]]);
    expect(listed.markers.map((m) => [m.key, m.latest])).toEqual([['batch/b', true]]);

    const quiet = await client.send(
      new DeleteObjectsCommand({
        Bucket: VERSIONED,
        Delete: { Quiet: true, Objects: [{ Key: 'batch/b', VersionId: listed.versions[0]?.id }] },
      }),
    );
    expect(quiet.Deleted ?? []).toEqual([]);
  });

  it('a copy onto itself (renotify) adds a version; so does a multipart upload', async () => {
    const first = await put(VERSIONED, 'copy.txt', 'same bytes');
    const copied = await client.send(
      new CopyObjectCommand({
        Bucket: VERSIONED,
        Key: 'copy.txt',
        CopySource: `${VERSIONED}/copy.txt`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
      }),
    );
    expect(copied.VersionId).toBeDefined();
    expect(copied.VersionId).not.toBe(first.VersionId);

    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: VERSIONED, Key: 'copy.txt' }),
    );
    const part = await client.send(
      new UploadPartCommand({
        Bucket: VERSIONED,
        Key: 'copy.txt',
        UploadId,
        PartNumber: 1,
        Body: 'multipart',
      }),
    );
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: VERSIONED,
        Key: 'copy.txt',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect((await versionsOf(VERSIONED, 'copy.txt')).versions.map((v) => [v.id, v.size])).toEqual([
      [completed.VersionId, 9],
      [copied.VersionId, 10],
      [first.VersionId, 10],
    ]);
    expect(await read(VERSIONED, 'copy.txt', first.VersionId)).toBe('same bytes');
    expect(await read(VERSIONED, 'copy.txt')).toBe('multipart');
  });

  it('ListObjectVersions pages with key-marker, version-id-marker and max-keys, by exact prefix', async () => {
    await put(VERSIONED, 'page/x', '1');
    await put(VERSIONED, 'page/x', '2');
    await put(VERSIONED, 'page/x', '3');
    await client.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'page/x' }));
    await put(VERSIONED, 'page/x.bak', 'b');
    await put(VERSIONED, 'page/y', 'y');
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    let pages = 0;
    for (;;) {
      const listed = await client.send(
        new ListObjectVersionsCommand({
          Bucket: VERSIONED,
          Prefix: 'page/',
          MaxKeys: 2,
          KeyMarker,
          VersionIdMarker,
        }),
      );
      pages++;
      const entries = [
        ...(listed.Versions ?? []).map((v) => ({ key: v.Key, id: v.VersionId, kind: 'v' })),
        ...(listed.DeleteMarkers ?? []).map((m) => ({ key: m.Key, id: m.VersionId, kind: 'm' })),
      ];
      expect(entries.length).toBeLessThanOrEqual(2);
      seen.push(...entries.map((e) => `${e.key}:${e.kind}`));
      if (!listed.IsTruncated) break;
      KeyMarker = listed.NextKeyMarker;
      VersionIdMarker = listed.NextVersionIdMarker;
    }
    expect(pages).toBe(3); // 6 entries: the last page is full and not truncated, as on S3
    expect(seen.sort()).toEqual(
      ['page/x.bak:v', 'page/x:m', 'page/x:v', 'page/x:v', 'page/x:v', 'page/y:v'].sort(),
    );
    // Prefix is a prefix: "page/x" also lists "page/x.bak", which is why callers filter on Key.
    const byPrefix = await versionsOf(VERSIONED, 'page/x');
    expect(new Set(byPrefix.versions.map((v) => v.key))).toEqual(new Set(['page/x', 'page/x.bak']));
  });

  it('an object written before versioning was enabled is the version "null"; suspended, writes replace it', async () => {
    await put('adopted', 'old.txt', 'before');
    server.setVersioning('adopted', 'Enabled');
    const after = await put('adopted', 'old.txt', 'after');
    expect((await versionsOf('adopted', 'old.txt')).versions.map((v) => v.id)).toEqual([
      after.VersionId,
      'null',
    ]);
    expect(await read('adopted', 'old.txt', 'null')).toBe('before');

    server.setVersioning('adopted', 'Suspended');
    const suspended = await put('adopted', 'old.txt', 'suspended');
    expect(suspended.VersionId).toBe('null');
    expect((await versionsOf('adopted', 'old.txt')).versions.map((v) => [v.id, v.latest])).toEqual([
      ['null', true],
      [after.VersionId, false],
    ]);
    expect(await read('adopted', 'old.txt', 'null')).toBe('suspended');
  });

  it('a bucket never versioned behaves as s3rver does, and answers with the version "null"', async () => {
    const written = await put(PLAIN, 'p.txt', 'plain');
    expect(written.VersionId).toBeUndefined();
    await put(PLAIN, 'p.txt.bak', 'other');
    expect(await versionsOf(PLAIN, 'p.txt')).toEqual({
      versions: [
        { key: 'p.txt', id: 'null', latest: true, size: 5 },
        { key: 'p.txt.bak', id: 'null', latest: true, size: 5 },
      ],
      markers: [],
    });
    // A plain DELETE removes the bytes, and leaves no marker.
    const deleted = await client.send(new DeleteObjectCommand({ Bucket: PLAIN, Key: 'p.txt' }));
    expect(deleted.DeleteMarker).toBeUndefined();
    expect((await versionsOf(PLAIN, 'p.txt')).versions.map((v) => v.key)).toEqual(['p.txt.bak']);
    // DeleteObjects with the version "null", as a version-aware caller sends.
    await client.send(
      new DeleteObjectsCommand({
        Bucket: PLAIN,
        Delete: { Objects: [{ Key: 'p.txt.bak', VersionId: 'null' }] },
      }),
    );
    expect(await versionsOf(PLAIN, 'p.txt')).toEqual({ versions: [], markers: [] });
  });
});
