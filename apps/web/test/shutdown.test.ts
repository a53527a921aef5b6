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
import { RETRY_AFTER_SECONDS } from '../src/unavailable.ts';
import { buildTestApp } from './helper.ts';
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

/** A late upload's request head and body, as a script (JSON) or a browser's form (HTML) sends it. */
function lateUpload(name: string, accept: string): { head: string; body: Buffer } {
  const body = Buffer.concat([slowUploadHead(name), jpeg, SLOW_UPLOAD_TAIL]);
  return {
    head:
      `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${accept}\r\n` +
      `Content-Type: multipart/form-data; boundary=${SLOW_BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`,
    body,
  };
}

/**
 * A raw HTTP/1.1 connection opened now (a keep-alive one, as the ALB's). `write` sends bytes on
 * it; `closed` resolves, once the server has closed it, with the answer's status, its header
 * lines (lower case) and its body.
 */
async function openConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk) => {
    answer += chunk;
  });
  // The server closes the connection with the refused body unread: the end of the write may be
  // reset; the answer came before that.
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    /** Resolves once the bytes are handed to the kernel (on loopback: in the server's queue). */
    write: (data: string | Buffer) =>
      new Promise<void>((resolve, reject) =>
        socket.write(data, (error) => (error ? reject(error) : resolve())),
      ),
    closed: async () => {
      await closed;
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      const [statusLine = '', ...headers] = head.split('\r\n');
      return {
        status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]),
        headers: headers.map((line) => line.toLowerCase()),
        body,
      };
    },
  };
}

type Connection = Awaited<ReturnType<typeof openConnection>>;
type Answer = Awaited<ReturnType<Connection['closed']>>;

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

  it('answers an upload that arrives during the shutdown with its own 503 and Retry-After, storing nothing of it', async () => {
    await withSystem(async (running) => {
      // One upload in flight holds the shutdown open ...
      const first = startSlowJpeg(running.url, 16 * 1024);
      await waitForRow(running);
      // ... and a connection opened before the shutdown (a keep-alive one, as the ALB's) brings a
      // second upload once it has begun.
      const connection = await openConnection(Number(new URL(running.url).port));

      const stopping = shutdownGracefully(running.system, { timeoutMs: 10_000, log: silent });
      const late = lateUpload('late.jpg', 'application/json');
      connection.write(late.head).catch(() => {});
      connection.write(late.body).catch(() => {}); // may be cut short once the answer is sent
      const answer = await connection.closed();

      // Refused whole, with the app's own answer (not Fastify's bare "Service Unavailable"), and
      // the connection closed: the client sends it again, to another instance, after Retry-After.
      expect(answer.status).toBe(503);
      expect(answer.headers).toContain('connection: close');
      expect(answer.headers).toContain(`retry-after: ${RETRY_AFTER_SECONDS}`);
      expect(answer.headers).toContain('content-type: application/json; charset=utf-8');
      expect(JSON.parse(answer.body)).toEqual({
        error: 'unavailable',
        message: 'The server is shutting down; upload again shortly',
      });
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

  it("answers requests that arrive while the server closes with the app's 503, as JSON or HTML", async () => {
    const test = await buildTestApp();
    try {
      const answers: Answer[] = [];
      // Connections opened before the close (keep-alive ones, as the ALB's) ...
      let connections: Connection[] = [];
      // ... bring two uploads and a page while the server is closing: after it has begun (the
      // app's own preClose hook has run), before it closes idle connections (after the hooks).
      test.app.addHook('preClose', async () => {
        const requests = [
          lateUpload('late.jpg', 'application/json'),
          lateUpload('late-form.jpg', 'text/html,application/xhtml+xml'),
          {
            head: 'GET /gallery HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n',
            body: Buffer.alloc(0),
          },
        ];
        requests.forEach((request, i) => {
          connections[i]!.write(request.head).catch(() => {});
          connections[i]!.write(request.body).catch(() => {}); // may be cut short once answered
        });
        answers.push(...(await Promise.all(connections.map((connection) => connection.closed()))));
      });
      const port = Number(new URL(await test.app.listen({ host: '127.0.0.1', port: 0 })).port);
      connections = await Promise.all([openConnection(port), openConnection(port), openConnection(port)]);
      await test.app.close();

      const [json, html, page] = answers as [Answer, Answer, Answer];
      for (const answer of [json, html, page]) {
        expect(answer.status).toBe(503);
        expect(answer.headers).toContain('connection: close');
        expect(answer.headers).toContain(`retry-after: ${RETRY_AFTER_SECONDS}`);
      }
      expect(json.headers).toContain('content-type: application/json; charset=utf-8');
      expect(JSON.parse(json.body)).toEqual({
        error: 'unavailable',
        message: 'The server is shutting down; upload again shortly',
      });
      expect(html.headers).toContain('content-type: text/html; charset=utf-8');
      expect(html.body).toContain('<p class="lede">The server is shutting down; upload again shortly</p>');
      expect(page.headers).toContain('content-type: text/html; charset=utf-8');
      expect(page.body).toContain('<p class="lede">The server is shutting down; try again shortly</p>');
      // Nothing of the uploads: no row, no file.
      expect((await test.repository.listPage({ limit: 5 })).images).toEqual([]);
      expect(await readdir(`${test.dataDir}/blobs/originals`, { recursive: true }).catch(() => [])).toEqual(
        [],
      );
    } finally {
      await test.close();
    }
  });

  it('answers an upload that arrives once the shutdown has begun, before the server closes, the same way', async () => {
    await withSystem(async (running) => {
      // The shutdown's first step: new uploads are refused while the rest is still served.
      running.system.app.uploads.close();
      const late = lateUpload('late.jpg', 'text/html');
      for (const accept of ['application/json', 'text/html']) {
        const answer = await running.system.app.inject({
          method: 'POST',
          url: '/upload',
          headers: { accept, 'content-type': `multipart/form-data; boundary=${SLOW_BOUNDARY}` },
          payload: late.body,
        });
        expect(answer.statusCode).toBe(503);
        expect(answer.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
        expect(answer.headers.connection).toBe('close');
        if (accept === 'text/html') {
          expect(answer.body).toContain(
            '<p class="lede">The server is shutting down; upload again shortly</p>',
          );
        } else {
          expect(answer.json()).toEqual({
            error: 'unavailable',
            message: 'The server is shutting down; upload again shortly',
          });
        }
      }
      expect((await running.system.app.inject({ method: 'GET', url: '/api/images' })).statusCode).toBe(200);
      expect(await leftBehind(running.dataDir)).toEqual({ rows: [], files: [] });
    });
  });
});
