import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@annot/config';
import { fixturePath } from '@annot/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, type System } from '../src/system.ts';
import { slowUploadHead, startSlowUpload } from './system.ts';

/** A client that hangs up mid-upload is the client's doing: logged as such, never as an outage. */
describe('a client that resets its connection mid-upload', () => {
  const lines: { msg: string; level: number }[] = [];
  let system: System;
  let url: string;
  let dataDir: string;
  beforeAll(async () => {
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
  afterAll(async () => {
    await system.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is logged as cut off by the client, leaves nothing, and is not taken for a dependency outage', async () => {
    const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
    const { request, response } = startSlowUpload(
      url,
      Buffer.concat([slowUploadHead('gone.jpg'), jpeg.subarray(0, 64 * 1024)]),
    );
    // Once the upload is under way (its row exists), the client resets the connection.
    for (let i = 0; i < 100 && (await system.repository.listPage({ limit: 5 })).images.length === 0; i++)
      await sleep(20);
    expect((await system.repository.listPage({ limit: 5 })).images).toHaveLength(1);
    request.socket?.resetAndDestroy();
    await response;

    for (let i = 0; i < 100 && !lines.some((l) => l.msg === 'upload cut off by the client'); i++)
      await sleep(20);
    expect(lines.map((l) => l.msg)).toContain('upload cut off by the client');
    expect(lines.map((l) => l.msg)).not.toContain('upload failed: a dependency is not answering');
    for (let i = 0; i < 100 && (await system.repository.listPage({ limit: 5 })).images.length > 0; i++)
      await sleep(20);
    expect((await system.repository.listPage({ limit: 5 })).images).toEqual([]);
  });
});
