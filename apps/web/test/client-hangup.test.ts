import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@annot/config';
import { fixturePath } from '@annot/testing';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSystem, type System } from '../src/system.ts';
import { slowUploadHead, startSlowUpload } from './system.ts';

/** A client that hangs up mid-upload is the client's doing: logged as such, never as an outage. */
describe('a client that hangs up mid-upload', () => {
  const lines: { msg: string; level: number }[] = [];
  let system: System;
  let url: string;
  let dataDir: string;
  beforeEach(async () => {
    lines.length = 0;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'web-hangup-'));
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    system = await createSystem({
      config: loadConfig({ DATA_DIR: dataDir }),
      logger: pino({ level: 'info' }, sink),
    });
    url = await system.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await system.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Every file under the blobs directory (metadata and temp files of unfinished writes included). */
  async function blobFiles(): Promise<string[]> {
    const blobs = path.join(dataDir, 'blobs');
    const entries = await readdir(blobs, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(blobs, path.join(entry.parentPath, entry.name)));
  }

  const rows = async () => (await system.repository.listPage({ limit: 5 })).images;

  it.each([
    ['resets', (socket: Socket) => socket.resetAndDestroy()],
    ['closes', (socket: Socket) => socket.destroy()],
  ] as const)(
    'that %s it: logged as cut off by the client, nothing left, not taken for a dependency outage, the server serving on',
    async (how, hangUp) => {
      const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
      const { request, response } = startSlowUpload(
        url,
        Buffer.concat([slowUploadHead('gone.jpg'), jpeg.subarray(0, 64 * 1024)]),
      );
      // Once the upload is under way (its row exists), the client hangs up.
      for (let i = 0; i < 100 && (await rows()).length === 0; i++) await sleep(20);
      expect(await rows()).toHaveLength(1);
      hangUp(request.socket!);
      await response;

      for (let i = 0; i < 100 && !lines.some((l) => l.msg === 'upload cut off by the client'); i++)
        await sleep(20);
      expect(lines.map((l) => l.msg)).toContain('upload cut off by the client');
      expect(lines.map((l) => l.msg)).not.toContain('upload failed: a dependency is not answering');
      for (let i = 0; i < 100 && (await rows()).length > 0; i++) await sleep(20);
      expect(await rows()).toEqual([]);
      // No object, and no temp file of the write that was under way.
      for (let i = 0; i < 100 && system.app.uploads.size > 0; i++) await sleep(20);
      expect(system.app.uploads.size).toBe(0);
      expect(await blobFiles()).toEqual([]);

      // The process is fine: it answers, and the next upload is stored whole.
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const form = new FormData();
      form.append('image', new Blob([jpeg], { type: 'image/jpeg' }), `after-${how}.jpg`);
      const next = await fetch(`${url}/upload`, {
        method: 'POST',
        body: form,
        headers: { accept: 'application/json' },
      });
      expect(next.status).toBe(201);
      const [stored] = await rows();
      expect(stored).toMatchObject({ filename: `after-${how}.jpg`, byteSize: jpeg.length });
      expect((await blobFiles()).filter((file) => !file.includes(stored!.originalKey))).toEqual([]);
    },
  );
});
