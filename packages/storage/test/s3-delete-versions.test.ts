import { startS3Server, type TestS3Server } from '@annot/testing';
import {
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectDeleteError, S3ObjectStore } from '../src/index.ts';
import { clientFor } from './helpers/s3-client.ts';
import { recordCommands } from './helpers/s3-recorder.ts';

const VERSIONED = 'delete-versioned';
const PLAIN = 'delete-plain';
const presign = { expiresSeconds: 900, cacheSeconds: 300 };

let server: TestS3Server;
let client: S3Client;
let recorder: ReturnType<typeof recordCommands>;

beforeAll(async () => {
  server = await startS3Server([VERSIONED, PLAIN], { versioned: [VERSIONED] });
  client = clientFor(server);
  recorder = recordCommands(client);
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

const store = (bucket: string, extra: { deletePageSize?: number } = {}) =>
  new S3ObjectStore({ client, bucket, presign, ...extra });
const put = (Bucket: string, Key: string, Body: string) =>
  client.send(new PutObjectCommand({ Bucket, Key, Body }));
const plainDelete = (Bucket: string, Key: string) => client.send(new DeleteObjectCommand({ Bucket, Key }));
/** Every version and delete marker listed under `prefix`, as `key:v` / `key:marker`. */
async function versionsUnder(Bucket: string, Prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix }));
  return [
    ...(listed.Versions ?? []).map((v) => `${v.Key}:v`),
    ...(listed.DeleteMarkers ?? []).map((m) => `${m.Key}:marker`),
  ].sort();
}

describe('S3ObjectStore.delete removes every version of exactly its key', () => {
  it('on a versioned bucket: versions and delete markers go, a key sharing the prefix stays', async () => {
    await put(VERSIONED, 'uploads/a.jpg', 'one');
    await put(VERSIONED, 'uploads/a.jpg', 'two');
    await plainDelete(VERSIONED, 'uploads/a.jpg');
    await put(VERSIONED, 'uploads/a.jpg', 'three');
    await plainDelete(VERSIONED, 'uploads/a.jpg');
    await put(VERSIONED, 'uploads/a.jpg', 'four');
    await put(VERSIONED, 'uploads/a.jpg.bak', 'backup 1');
    await put(VERSIONED, 'uploads/a.jpg.bak', 'backup 2');
    expect(await versionsUnder(VERSIONED, 'uploads/a.jpg')).toHaveLength(8);

    await store(VERSIONED).delete('uploads/a.jpg');

    expect(await versionsUnder(VERSIONED, 'uploads/a.jpg')).toEqual([
      'uploads/a.jpg.bak:v',
      'uploads/a.jpg.bak:v',
    ]);
    expect(await store(VERSIONED).head('uploads/a.jpg')).toBeNull();
    const backup = await store(VERSIONED).getBytes('uploads/a.jpg.bak');
    expect(Buffer.from(backup).toString()).toBe('backup 2');
  });

  it('a key whose current version is a delete marker (the bytes hidden, not gone) is emptied too', async () => {
    await put(VERSIONED, 'uploads/hidden.jpg', 'still stored');
    await plainDelete(VERSIONED, 'uploads/hidden.jpg');
    expect(await store(VERSIONED).head('uploads/hidden.jpg')).toBeNull();
    expect(await versionsUnder(VERSIONED, 'uploads/hidden.jpg')).toEqual([
      'uploads/hidden.jpg:marker',
      'uploads/hidden.jpg:v',
    ]);

    await store(VERSIONED).delete('uploads/hidden.jpg');
    expect(await versionsUnder(VERSIONED, 'uploads/hidden.jpg')).toEqual([]);
  });

  it('pages: more versions than one listing holds are all removed, other keys after them untouched', async () => {
    for (const body of ['1', '2', '3', '4', '5']) await put(VERSIONED, 'uploads/many.jpg', body);
    await plainDelete(VERSIONED, 'uploads/many.jpg');
    await put(VERSIONED, 'uploads/many.jpg/x', 'other');
    const before = recorder.commands.length;

    await store(VERSIONED, { deletePageSize: 2 }).delete('uploads/many.jpg');
    const sent = recorder.commands.slice(before).map((c) => c.name);

    expect(await versionsUnder(VERSIONED, 'uploads/many.jpg')).toEqual(['uploads/many.jpg/x:v']);
    // Six versions, two a page, each page full and truncated: three rounds of list + delete, and
    // the listing that shows only the other key.
    expect(sent.filter((n) => n === 'DeleteObjectsCommand')).toHaveLength(3);
    expect(sent.filter((n) => n === 'ListObjectVersionsCommand')).toHaveLength(4);
  });

  it('on an unversioned bucket: the object (version "null") goes, a key sharing the prefix stays', async () => {
    await put(PLAIN, 'thumbnails/b.webp', 'thumb');
    await put(PLAIN, 'thumbnails/b.webp.tmp', 'other');

    await store(PLAIN).delete('thumbnails/b.webp');

    expect(await versionsUnder(PLAIN, 'thumbnails/b.webp')).toEqual(['thumbnails/b.webp.tmp:v']);
    expect(await store(PLAIN).head('thumbnails/b.webp')).toBeNull();
    expect(await store(PLAIN).head('thumbnails/b.webp.tmp')).toMatchObject({ size: 5 });
  });

  it('a key with a few versions costs one listing and one DeleteObjects', async () => {
    await put(VERSIONED, 'uploads/few.jpg', '1');
    await put(VERSIONED, 'uploads/few.jpg', '2');
    const before = recorder.commands.length;
    await store(VERSIONED).delete('uploads/few.jpg');
    expect(recorder.commands.slice(before).map((c) => c.name)).toEqual([
      'ListObjectVersionsCommand',
      'DeleteObjectsCommand',
    ]);
    expect(await versionsUnder(VERSIONED, 'uploads/few.jpg')).toEqual([]);
  });

  it('a missing key is not an error, and costs one listing', async () => {
    await put(VERSIONED, 'uploads/missing.jpg.other', 'x');
    const before = recorder.commands.length;
    await expect(store(VERSIONED).delete('uploads/missing.jpg')).resolves.toBeUndefined();
    await expect(store(PLAIN).delete('uploads/missing.jpg')).resolves.toBeUndefined();
    expect(recorder.commands.slice(before).map((c) => c.name)).toEqual([
      'ListObjectVersionsCommand',
      'ListObjectVersionsCommand',
    ]);
    expect(await versionsUnder(VERSIONED, 'uploads/missing.jpg')).toEqual(['uploads/missing.jpg.other:v']);
  });

  it('a version S3 refuses to delete rejects with a plain error naming the key', async () => {
    await put(VERSIONED, 'uploads/locked.jpg', 'x');
    // S3 answers DeleteObjects 200 and lists refused keys in Errors (e.g. object lock, a policy).
    const refusing = clientFor(server);
    refusing.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'DeleteObjectsCommand') {
          const output = result.output as { Errors?: unknown[]; Deleted?: unknown[] };
          output.Errors = [{ Key: 'uploads/locked.jpg', Code: 'AccessDenied', Message: 'Access Denied' }];
        }
        return result;
      },
      { step: 'initialize', name: 'refuseDeletes' },
    );
    try {
      const error = await new S3ObjectStore({ client: refusing, bucket: VERSIONED, presign })
        .delete('uploads/locked.jpg')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ObjectDeleteError);
      expect((error as ObjectDeleteError).message).toBe(
        `Could not delete every version of "uploads/locked.jpg" in ${VERSIONED}`,
      );
      expect((error as ObjectDeleteError).key).toBe('uploads/locked.jpg');
      expect(String((error as Error).cause)).toMatch(/AccessDenied/);
    } finally {
      refusing.destroy();
    }
  });

  it('a listing that fails rejects with the same error, the S3 error as its cause', async () => {
    const error = await store('no-such-bucket')
      .delete('uploads/x.jpg')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectDeleteError);
    expect(((error as Error).cause as Error).name).toBe('NoSuchBucket');
  });
});
