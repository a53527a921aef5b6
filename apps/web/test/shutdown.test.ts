import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { fixturePath } from '@annot/testing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { shutdownGracefully } from '../src/shutdown.ts';
import {
  type RunningSystem,
  SLOW_BOUNDARY,
  SLOW_UPLOAD_TAIL,
  slowUploadHead,
  startSlowUpload,
  startSystem,
} from './system.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
const head = slowUploadHead('slow.jpg');

/** Starts an upload and sends only its first `bytes`, like a slow client; returns the pending response. */
function startSlowJpeg(url: string, bytes: number) {
  return startSlowUpload(url, Buffer.concat([head, jpeg.subarray(0, bytes)]));
}

async function waitForRow(running: RunningSystem): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await running.system.repository.listPage({ limit: 5 })).images.length > 0) return;
    await sleep(20);
  }
  throw new Error('the upload never reached the database');
}

const silent = pino({ level: 'silent' });

/** What a stopped system left on disk: its rows (read with a fresh connection) and its original files. */
async function leftBehind(dataDir: string) {
  const config = loadConfig({ DATA_DIR: dataDir });
  const repository = await openRepository({ database: config.database, migrate: false });
  const rows = (await repository.listPage({ limit: 10 })).images;
  await repository.close();
  const files = await readdir(`${dataDir}/blobs/originals`, { recursive: true, withFileTypes: true }).catch(
    () => [],
  );
  return { rows, files: files.filter((f) => f.isFile()).map((f) => f.name) };
}

/** A started system, stopped (if the test did not) and its DATA_DIR removed whatever the test's outcome. */
async function withSystem(test: (running: RunningSystem) => Promise<void>): Promise<void> {
  const running = await startSystem();
  try {
    await test(running);
  } finally {
    // A test that failed before its shutdown leaves the server listening: stop it here.
    if (running.system.app.server.listening) await running.system.close();
    await rm(running.dataDir, { recursive: true, force: true });
  }
}

describe('graceful shutdown', () => {
  it('lets an upload in flight finish when it does so within the timeout', async () => {
    await withSystem(async (running) => {
      const { request, response } = startSlowJpeg(running.url, 16 * 1024);
      await waitForRow(running);

      const stopping = shutdownGracefully(running.system, { timeoutMs: 10_000, log: silent });
      // New uploads are refused from the moment the shutdown begins; this one is let finish.
      expect(running.system.app.uploads.closed).toBe(true);
      request.end(Buffer.concat([jpeg.subarray(16 * 1024), SLOW_UPLOAD_TAIL]));
      const result = await response;
      await stopping;

      expect(result).toMatchObject({ status: 201 });
      const { rows, files } = await leftBehind(running.dataDir);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ filename: 'slow.jpg', byteSize: jpeg.length });
      expect(files).toEqual(['slow.jpg']);
    });
  });

  it('aborts an upload still in flight at the timeout, leaving no row and no object', async () => {
    await withSystem(async (running) => {
      const { request, response } = startSlowJpeg(running.url, 16 * 1024);
      await waitForRow(running);

      const stopping = shutdownGracefully(running.system, { timeoutMs: 300, log: silent });
      const result = await response;
      await stopping;
      request.destroy();

      expect(result).toMatchObject({ status: 503 });
      expect(JSON.parse((result as { body: string }).body)).toMatchObject({
        error: 'unavailable',
        message: '"slow.jpg" was not stored: the server is shutting down',
      });
      // No row, and no file at all: neither the object nor a temp file of the aborted write.
      expect(await leftBehind(running.dataDir)).toEqual({ rows: [], files: [] });
    });
  });

  it('answers an upload that arrives during the shutdown with a 503, storing nothing of it', async () => {
    await withSystem(async (running) => {
      // One upload in flight holds the shutdown open ...
      const first = startSlowJpeg(running.url, 16 * 1024);
      await waitForRow(running);
      // ... and a connection opened before the shutdown (a keep-alive one, as the ALB's) brings a
      // second upload once it has begun.
      const socket = net.connect(Number(new URL(running.url).port), '127.0.0.1');
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk;
      });
      const socketClosed = once(socket, 'close');

      const stopping = shutdownGracefully(running.system, { timeoutMs: 10_000, log: silent });
      const body = Buffer.concat([slowUploadHead('late.jpg'), jpeg, SLOW_UPLOAD_TAIL]);
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n` +
          `Content-Type: multipart/form-data; boundary=${SLOW_BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body);
      await socketClosed;

      // Refused whole, and the connection closed: the client can send it again elsewhere.
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(answer.toLowerCase()).toContain('connection: close');
      // A new connection is not taken at all any more.
      await expect(fetch(`${running.url}/health`)).rejects.toThrow();

      first.request.end(Buffer.concat([jpeg.subarray(16 * 1024), SLOW_UPLOAD_TAIL]));
      expect(await first.response).toMatchObject({ status: 201 });
      await stopping;

      // Only the upload that was in flight is stored: nothing of the late one, not even a temp file.
      const { rows, files } = await leftBehind(running.dataDir);
      expect(rows.map((row) => row.filename)).toEqual(['slow.jpg']);
      expect(files).toEqual(['slow.jpg']);
    });
  });
});
