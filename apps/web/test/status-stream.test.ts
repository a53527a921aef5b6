import { rm } from 'node:fs/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusStreams } from '../src/live/status-streams.ts';
import { shutdownGracefully } from '../src/shutdown.ts';
import { buildTestApp, withMethod } from './helper.ts';
import { openStream } from './stream.ts';
import { type RunningSystem, startSystem } from './system.ts';

const silent = pino({ level: 'silent' });
let running: RunningSystem | undefined;
let stopped = false;

afterEach(async () => {
  if (running && !stopped) await running.system.close();
  if (running) await rm(running.dataDir, { recursive: true, force: true });
  running = undefined;
  stopped = false;
});

/** A stored upload's row, both stages pending, as the web tier leaves it. */
async function pendingImage(
  system: RunningSystem['system'],
  name: string,
): Promise<{ id: number; key: string }> {
  const key = `uploads/${name}/${name}.jpg`;
  const row = await system.repository.createPending({
    filename: `${name}.jpg`,
    originalKey: key,
    contentType: 'image/jpeg',
    byteSize: null,
    width: 10,
    height: 10,
  });
  await system.repository.recordOriginalSize(key, 1234);
  return { id: row.id, key };
}

describe('GET /api/images/events (the status stream), on the production system (no local workers)', () => {
  it('sends the current status at once, then what the workers record in the database, then done', async () => {
    // As in AWS: the workers write the database without telling the web tier; the stream's periodic check finds it.
    running = await startSystem({ STATUS_STREAM_CHECK_MS: '50' });
    const { system, url } = running;
    const { id, key } = await pendingImage(system, 'a');
    const stream = await openStream(url, String(id));
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toBe('no-store');

    const first = JSON.parse((await stream.next('status')).data);
    expect(first).toMatchObject({ id, thumbnailStatus: 'pending', annotationStatus: 'pending' });

    await system.repository.recordThumbnail({ originalKey: key, thumbnailKey: `thumbnails/a/a.jpg` });
    const second = JSON.parse((await stream.next('status')).data);
    expect(second).toMatchObject({ id, thumbnailStatus: 'completed', annotationStatus: 'pending' });
    expect(second.thumbnailUrl).toMatch(/thumbnails/);

    await system.repository.recordAnnotation({
      originalKey: key,
      annotation: 'A test.',
      annotator: 'local',
      model: 'test',
      tags: [{ label: 'dog', confidence: 0.9, source: 'test' }],
    });
    const third = JSON.parse((await stream.next('status')).data);
    expect(third).toMatchObject({
      id,
      thumbnailStatus: 'completed',
      annotationStatus: 'completed',
      annotation: 'A test.',
      tags: [{ label: 'dog', confidence: 0.9, source: 'test' }],
    });
    // The same fields as the poll's answer, so the page handles both alike.
    const polled = await (await fetch(`${url}/api/images/status?ids=${id}`)).json();
    expect(third).toEqual(polled.images[0]);
    await stream.next('done');
    stream.close();
  });

  it('sends heartbeats', async () => {
    running = await startSystem({ STATUS_STREAM_HEARTBEAT_MS: '100' });
    const { id } = await pendingImage(running.system, 'b');
    const stream = await openStream(running.url, String(id));
    expect((await stream.next('heartbeat')).data).toBe('{}');
    stream.close();
  });

  it('refuses a stream over STATUS_STREAM_MAX_CONNECTIONS with a 503 the page falls back from, and takes one again once a place is free', async () => {
    running = await startSystem({ STATUS_STREAM_MAX_CONNECTIONS: '1', STATUS_POLL_MS: '2000' });
    const { id } = await pendingImage(running.system, 'c');
    const first = await openStream(running.url, String(id));
    expect(first.status).toBe(200);
    await first.next('status');

    const second = await openStream(running.url, String(id));
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('2');
    expect(JSON.parse(await second.body)).toEqual({
      error: 'unavailable',
      message: 'Too many status streams are open on this server; ask /api/images/status instead.',
    });

    first.close();
    // The server sees the client go on its own time: ask until the place is free.
    for (;;) {
      const third = await openStream(running.url, String(id));
      if (third.status === 200) {
        third.close();
        break;
      }
      await third.body;
    }
  });

  it('ends the response after done, so its place is free for the next stream (STATUS_STREAM_MAX_CONNECTIONS=1)', async () => {
    running = await startSystem({ STATUS_STREAM_MAX_CONNECTIONS: '1', STATUS_STREAM_CHECK_MS: '50' });
    const { system, url } = running;
    const { id, key } = await pendingImage(system, 'f');
    const first = await openStream(url, String(id));
    expect(first.status).toBe(200);
    await first.next('status');
    await system.repository.recordThumbnail({ originalKey: key, thumbnailKey: 'thumbnails/f/f.jpg' });
    await system.repository.recordAnnotation({
      originalKey: key,
      annotation: 'Settled.',
      annotator: 'local',
      model: 'test',
      tags: [],
    });
    await first.next('done');
    // The client does not close it: the server does.
    await first.ended;
    expect(system.statusStreams.size).toBe(0);

    const second = await openStream(url, String(id));
    expect(second.status).toBe(200);
    // Its image is settled: its current status, then done, then the end.
    await second.next('done');
    await second.ended;
    expect(system.statusStreams.size).toBe(0);
  });

  it('is off with STATUS_STREAM_MAX_CONNECTIONS=0, and the pages say so', async () => {
    running = await startSystem({ STATUS_STREAM_MAX_CONNECTIONS: '0' });
    const { id } = await pendingImage(running.system, 'd');
    const stream = await openStream(running.url, String(id));
    expect(stream.status).toBe(503);
    await stream.body;
    const gallery = await (await fetch(`${running.url}/gallery`)).text();
    expect(gallery).toMatch(
      /<body data-status-poll-ms="1000" data-status-heartbeat-ms="15000" data-status-stream="off">/,
    );
  });

  it('answers a bad id list with a 400, as the poll does', async () => {
    running = await startSystem();
    for (const ids of ['x', '0', Array.from({ length: 101 }, (_, i) => i + 1).join(','), '9999999999']) {
      const stream = await openStream(running.url, ids);
      expect(stream.status).toBe(400);
      const body = JSON.parse(await stream.body);
      expect(body.error).toBe('invalid_request');
      const polled = await fetch(`${running.url}/api/images/status?ids=${ids}`);
      expect(polled.status).toBe(400);
      expect((await polled.json()).message).toBe(body.message);
    }
  });

  it('does not hold up a graceful shutdown: open streams are told and ended, and new ones refused', async () => {
    running = await startSystem();
    const { id } = await pendingImage(running.system, 'e');
    const streams = await Promise.all([
      openStream(running.url, String(id)),
      openStream(running.url, String(id)),
    ]);
    await Promise.all(streams.map((s) => s.next('status')));

    await shutdownGracefully(running.system, { timeoutMs: 60_000, log: silent });
    stopped = true;

    for (const stream of streams) {
      await stream.next('closing');
      await stream.ended;
    }
  });
});

describe('StatusStreams', () => {
  it('never tells a stream opened during a check that its images are gone: the next check reads them', async () => {
    const t = await buildTestApp();
    try {
      const a = await t.repository.createPending({
        filename: 'a.jpg',
        originalKey: 'uploads/a/a.jpg',
        contentType: 'image/jpeg',
        byteSize: 1,
        width: 1,
        height: 1,
      });
      const b = await t.repository.createPending({
        filename: 'b.jpg',
        originalKey: 'uploads/b/b.jpg',
        contentType: 'image/jpeg',
        byteSize: 1,
        width: 1,
        height: 1,
      });
      // The first check's read waits until the second stream is open.
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let reads = 0;
      const repository = withMethod(t.repository, 'statuses', async (ids) => {
        if (reads++ === 0) await held;
        return t.repository.statuses(ids);
      });
      const streams = new StatusStreams({
        repository,
        storage: t.storage,
        log: silent,
        maxStreams: 10,
        heartbeatMs: 600_000,
        checkMs: 600_000,
      });
      const sink = () => {
        const lines: string[] = [];
        let told!: () => void;
        const first = new Promise<void>((resolve) => {
          told = resolve;
        });
        return {
          lines,
          first,
          write: (text: string) => {
            lines.push(text);
            told();
          },
          end() {},
        };
      };
      const first = sink();
      const later = sink();
      const one = streams.open([a.id], first);
      const two = streams.open([b.id], later);
      release();
      await later.first;
      // Its first word is its image's status (pending), not `done`.
      expect(later.lines[0]).toMatch(
        new RegExp(`^event: status\\ndata: \\{"id":${b.id},"annotationStatus":"pending"`),
      );
      streams.close();
      for (const opened of [one, two]) if (typeof opened !== 'string') opened.stop();
    } finally {
      await t.close();
    }
  });
});
