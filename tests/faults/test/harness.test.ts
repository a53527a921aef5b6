// The harness itself, on the web tier as it is today: these tests need none of the features the
// scenarios check, and must pass before those are merged.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mariaDbAvailable } from '@annot/testing';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyStates, validRetryAfter } from '../src/contract.ts';
import { isOneToOne, mismatches } from '../src/holdings.ts';
import { GRACE_MS, RequestLog } from '../src/requests.ts';
import { BUCKETS, type FaultySystem, whileFaulted, withFaultySystem } from '../src/system.ts';

describe('mismatches', () => {
  const initiated = new Date('2026-01-01T00:00:00Z');
  it('is empty when rows and originals match one to one', () => {
    const found = mismatches({
      rows: [{ id: 1, originalKey: 'uploads/1/a.jpg', uploadedAt: '' }],
      objects: ['uploads/1/a.jpg'],
      multipartUploads: [],
    });
    expect(isOneToOne(found)).toBe(true);
  });

  it('names rows without an original, originals without a row, and unfinished uploads', () => {
    const found = mismatches({
      rows: [
        { id: 1, originalKey: 'uploads/1/a.jpg', uploadedAt: 'then' },
        { id: 2, originalKey: 'uploads/2/b.jpg', uploadedAt: 'then' },
      ],
      objects: ['uploads/1/a.jpg', 'uploads/3/c.jpg'],
      multipartUploads: [{ key: 'uploads/4/d.jpg', uploadId: 'u4', initiated }],
    });
    expect(isOneToOne(found)).toBe(false);
    expect(found).toEqual({
      rowsWithoutObject: ['#2 uploads/2/b.jpg (created then)'],
      objectsWithoutRow: ['uploads/3/c.jpg'],
      unfinishedUploads: ['uploads/4/d.jpg (u4, initiated 2026-01-01T00:00:00.000Z)'],
    });
  });
});

describe('the contract readers', () => {
  it('read the dependencies from a health body, however it spells them', () => {
    expect(dependencyStates('{"status":"ok","database":"down","storage":"up"}')).toEqual({
      database: false,
      storage: true,
    });
    expect(dependencyStates('{"status":"ok","checks":{"db":{"status":"ok"},"s3":{"ok":false}}}')).toEqual({
      database: true,
      storage: false,
    });
    expect(dependencyStates('{"status":"ok"}')).toEqual({ database: undefined, storage: undefined });
    expect(dependencyStates('not json')).toEqual({ database: undefined, storage: undefined });
  });

  it('accept a Retry-After of seconds or a date, and nothing else', () => {
    expect(validRetryAfter('5')).toBe(true);
    expect(validRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT')).toBe(true);
    expect(validRetryAfter(null)).toBe(false);
    expect(validRetryAfter('soon')).toBe(false);
  });
});

describe('RequestLog', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/slow') setTimeout(() => response.end('late'), 300);
      else if (request.url === '/never') request.on('close', () => response.destroy());
      else response.writeHead(503, { 'retry-after': '3' }).end('{"error":"unavailable"}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('records each outcome with its duration, and names the requests that outlived their budget', async () => {
    const log = new RequestLog(url);
    const quick = await log.get('/', 1000);
    expect(quick).toMatchObject({ status: 503, retryAfter: '3', body: '{"error":"unavailable"}' });
    const slow = await log.get('/slow', 100);
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(290);
    expect(log.outcomes).toHaveLength(2);
    expect(log.outlived()).toEqual([
      expect.stringMatching(/^GET \/slow: \d+ ms, budget 100 ms \(200 late\)$/),
    ]);
  });

  it('gives up on a request a grace period after its budget, and records it unanswered', async () => {
    const log = new RequestLog(url);
    const never = await log.get('/never', 100);
    expect(never.status).toBeUndefined();
    expect(never.error).toBe(`no answer within ${100 + GRACE_MS} ms`);
    // Given up by its own timer (the error says which), not before it.
    expect(never.ms).toBeGreaterThanOrEqual(100 + GRACE_MS - 10);
    expect(log.outlived()).toHaveLength(1);
  });
});

describe.runIf(await mariaDbAvailable())('the production web tier behind the proxies', () => {
  let system: FaultySystem;
  withFaultySystem((started) => {
    system = started;
  });

  it('serves uploads through both proxies, and its holdings match one to one', async () => {
    const log = system.requests();
    const upload = await log.upload(10_000);
    expect(upload.status, upload.body).toBe(201);
    expect(system.database.accepted).toBeGreaterThan(0);
    expect(system.storage.accepted).toBeGreaterThan(0);
    const holdings = await system.inspector.holdings();
    expect(holdings.rows).toHaveLength(1);
    expect(holdings.objects).toEqual([holdings.rows[0]!.originalKey]);
    expect(isOneToOne(mismatches(holdings))).toBe(true);
  });

  it('takes the database away from the web process when the proxy refuses, and gives it back', async () => {
    const log = system.requests();
    await whileFaulted(system.database, 'refuse', async () => {
      const refused = await log.get('/api/images', 5000);
      expect(refused.status, refused.body).toBeGreaterThanOrEqual(500);
    });
    const back = await log.until('/api/images', 200, { withinMs: 5000, budgetMs: 5000 });
    expect(back.status, back.body).toBe(200);
  });

  it('holds the web process on its database queries when the proxy freezes', async () => {
    const log = system.requests();
    await whileFaulted(system.database, 'freeze', async () => {
      // Today the query hangs until the client gives up; with DB_QUERY_TIMEOUT_MS it ends after
      // a second: either way, well after 300 ms.
      const frozen = await log.get('/api/images', 300);
      expect(frozen.ms).toBeGreaterThan(300);
      expect(log.outlived()).toHaveLength(1);
    });
    const back = await log.until('/api/images', 200, { withinMs: 5000, budgetMs: 5000 });
    expect(back.status, back.body).toBe(200);
  });

  it('finds a row without its original, an original without its row, and an unfinished upload', async () => {
    const db = await mysql.createConnection({ uri: system.databaseUrl });
    const s3 = new S3Client({
      endpoint: system.s3.endpoint,
      region: system.s3.region,
      forcePathStyle: true,
      credentials: system.s3.credentials,
    });
    const Bucket = BUCKETS.originals;
    const lonelyRow = 'uploads/harness-row/row.jpg';
    const lonelyObject = 'uploads/harness-object/object.jpg';
    const cutShort = 'uploads/harness-multipart/cut.jpg';
    let uploadId: string | undefined;
    try {
      await db.execute(
        "INSERT INTO images (filename, s3_key_original, s3_key_original_sha256) VALUES ('row.jpg', ?, UNHEX(SHA2(?, 256)))",
        [lonelyRow, lonelyRow],
      );
      await s3.send(new PutObjectCommand({ Bucket, Key: lonelyObject, Body: 'bytes' }));
      uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: cutShort }))).UploadId;

      const found = mismatches(await system.inspector.holdings());
      expect(found.rowsWithoutObject).toEqual([expect.stringContaining(lonelyRow)]);
      expect(found.objectsWithoutRow).toEqual([lonelyObject]);
      expect(found.unfinishedUploads).toEqual([expect.stringContaining(`${cutShort} (${uploadId}`)]);
    } finally {
      await db.execute('DELETE FROM images WHERE s3_key_original = ?', [lonelyRow]);
      await db.end();
      await s3.send(new DeleteObjectCommand({ Bucket, Key: lonelyObject }));
      if (uploadId) {
        // The sweep may have aborted it already.
        await s3
          .send(new AbortMultipartUploadCommand({ Bucket, Key: cutShort, UploadId: uploadId }))
          .catch(() => {});
      }
      s3.destroy();
    }
    expect(isOneToOne(await system.inspector.settle(0))).toBe(true);
  });

  it('kills the web process at once, and starts it again on the same port', async () => {
    const log = system.requests();
    const before = system.web;
    await system.kill();
    expect(before.exited).toBe(true);
    const down = await log.get('/health', 1000);
    expect(down.error).toBe('ECONNREFUSED');

    await system.restart();
    expect(system.web.pid).not.toBe(before.pid);
    expect(system.web.url).toBe(before.url);
    expect((await log.get('/health', 5000)).status).toBe(200);
    expect((await log.upload(10_000)).status).toBe(201);
    expect(isOneToOne(await system.inspector.settle(0))).toBe(true);
  });
});
