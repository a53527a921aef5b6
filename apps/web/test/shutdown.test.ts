import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { fixturePath } from '@annot/testing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { shutdownGracefully } from '../src/shutdown.ts';
import {
  type RunningSystem,
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

describe('graceful shutdown', () => {
  it('lets an upload in flight finish when it does so within the timeout', async () => {
    const running = await startSystem();
    const { request, response } = startSlowJpeg(running.url, 16 * 1024);
    await waitForRow(running);

    const stopping = shutdownGracefully(running.system, { timeoutMs: 10_000, log: silent });
    await sleep(200);
    request.end(Buffer.concat([jpeg.subarray(16 * 1024), SLOW_UPLOAD_TAIL]));
    const result = await response;
    await stopping;

    expect(result).toMatchObject({ status: 201 });
    const { rows, files } = await leftBehind(running.dataDir);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ filename: 'slow.jpg', byteSize: jpeg.length });
    expect(files).toEqual(['slow.jpg']);
    await rm(running.dataDir, { recursive: true, force: true });
  });

  it('aborts an upload still in flight at the timeout, leaving no row and no object', async () => {
    const running = await startSystem();
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
    await rm(running.dataDir, { recursive: true, force: true });
  });
});
