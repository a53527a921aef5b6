/**
 * `pnpm bench:latency`: end-to-end latency on the embedded defaults (`node --expose-gc
 * apps/embedded/src/dev.ts`: one process, SQLite and blobs in a temporary DATA_DIR, the in-process
 * bus and both workers), from the moment an upload is accepted (its 201 arrives) until the page
 * knows both stages are done, with each local annotator (`facts`, then `vision`).
 *
 * Split as the gallery sees it, per image, along the stage that finished last:
 * - queueing: accepted -> that stage's worker starts working (reads the original);
 * - work: its start -> its result recorded in the row (both from the worker's "... written" log line:
 *   its time, minus its durationMs);
 * - page delay: recorded -> the page learns of it, (a) by polling /api/images/status as gallery.js
 *   does (first poll POLL_MS after the page opens, then POLL_MS after each answer), and (b), where
 *   the server has it, from the pushed stream GET /api/images/events.
 *
 * Two arrival patterns: one upload at a time (each waits for the previous to be seen done; a
 * gallery page "opens" at each acceptance, as the upload form's 303 to /gallery does), and a burst
 * (BURST uploads, 8 at a time, one gallery page polling them all, as bench:pipeline does).
 * LATENCY_ANNOTATORS=facts (or vision) runs one annotator only; LOCAL_WORKER_CONCURRENCY and
 * STATUS_STREAM_MAX_CONNECTIONS (0: streams off, polling only) are passed on to the server.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ACCEPTED_FIXTURES,
  distinctCopy,
  fixturePath,
  type ServerProcess,
  startServer,
} from '@annot/testing';
import { uploadFile } from './upload/multipart.ts';
import { type Cleanup, runBench } from './util/cleanup.ts';
import { heading, printLoad, printMachine, table } from './util/print.ts';
import { percentile } from './util/stats.ts';

/** The gallery's default status poll interval (STATUS_POLL_MS; gallery.js's POLL_MS before it was config). */
const POLL_MS = Number(process.env.LATENCY_POLL_MS ?? 1000);
const UPLOAD_CONCURRENCY = 8;
const GIVE_UP_MS = 120_000;
const PLAN = {
  facts: { single: 3, burst: 48 },
  vision: { single: 2, burst: 16 },
} as const;
type Annotator = keyof typeof PLAN;

/** Wall-clock ms with sub-ms precision (the server's log times are Date.now()). */
const now = () => performance.timeOrigin + performance.now();

interface StageTimes {
  start: number;
  recorded: number;
}

interface Tracked {
  readonly id: number;
  readonly fixture: string;
  readonly accepted: number;
  key?: string;
  seenPoll?: number;
  seenPush?: number;
  failed?: boolean;
}

interface StatusJson {
  id: number;
  annotationStatus: string;
  thumbnailStatus: string;
}

const settled = (s: StatusJson) => s.annotationStatus !== 'pending' && s.thumbnailStatus !== 'pending';

async function main(cleanup: Cleanup): Promise<void> {
  printMachine();
  const chosen = (process.env.LATENCY_ANNOTATORS ?? 'facts,vision').split(',') as Annotator[];
  const files = await Promise.all(
    ACCEPTED_FIXTURES.filter((f) => f.type === 'image/jpeg' || f.type === 'image/png').map(async (f) => ({
      name: f.name,
      type: f.type,
      bytes: await readFile(fixturePath(f.name)),
    })),
  );
  for (const annotator of chosen) {
    if (!(annotator in PLAN)) throw new Error(`LATENCY_ANNOTATORS: unknown annotator ${annotator}`);
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-latency-'));
    cleanup.add('remove DATA_DIR', () => rm(dataDir, { recursive: true, force: true }));
    const stages = new Map<string, Map<string, StageTimes>>();
    const server = await startServer({
      entry: 'apps/embedded/src/dev.ts',
      env: {
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        LOCAL_ANNOTATOR: annotator,
        // The platform settings this bench passes on, to compare worker caps and streams off.
        ...(process.env.LOCAL_WORKER_CONCURRENCY
          ? { LOCAL_WORKER_CONCURRENCY: process.env.LOCAL_WORKER_CONCURRENCY }
          : {}),
        ...(process.env.STATUS_STREAM_MAX_CONNECTIONS
          ? { STATUS_STREAM_MAX_CONNECTIONS: process.env.STATUS_STREAM_MAX_CONNECTIONS }
          : {}),
      },
      onLine: (line) => readStageLine(line, stages),
    });
    cleanup.add('stop the server', () => server.stop());
    heading(`LOCAL_ANNOTATOR=${annotator}: embedded server ${server.url} (pid ${server.pid})`);
    const push = await hasPush(server.url);
    console.log(
      `  page delay measured by polling every ${POLL_MS} ms${push ? ' and by the pushed stream' : ''}`,
    );
    let n = 0;
    const next = () => {
      const file = files[n % files.length]!;
      return { ...file, bytes: distinctCopy(file.bytes, `latency ${process.pid} ${annotator} ${n++}`) };
    };
    // Warm-up (not measured): the first run loads the annotator's models and sharp.
    await runSingle(server, [next()], push);

    const single: Tracked[] = await runSingle(
      server,
      Array.from({ length: PLAN[annotator].single * files.length }, next),
      push,
    );
    report(`${annotator}, one upload at a time`, single, stages, push);
    printLoad();
    const burst = await runBurst(server, Array.from({ length: PLAN[annotator].burst }, next), push);
    report(`${annotator}, ${burst.length} uploads ${UPLOAD_CONCURRENCY} at a time`, burst, stages, push);
    printLoad();
    await server.stop();
  }
}

/** The workers' "Thumbnail written" / "Annotation written" log lines: when each stage started and was recorded. */
function readStageLine(line: string, stages: Map<string, Map<string, StageTimes>>): void {
  if (!line.startsWith('{')) return;
  let entry: { msg?: string; time?: number; durationMs?: number; key?: string };
  try {
    entry = JSON.parse(line);
  } catch {
    return;
  }
  const stage = /^(Thumbnail|Annotation) written$/.exec(entry.msg ?? '')?.[1];
  if (!stage || !entry.key || entry.time === undefined || entry.durationMs === undefined) return;
  const byStage = stages.get(entry.key) ?? new Map<string, StageTimes>();
  byStage.set(stage, { start: entry.time - entry.durationMs, recorded: entry.time });
  stages.set(entry.key, byStage);
}

async function hasPush(baseUrl: string): Promise<boolean> {
  const controller = new AbortController();
  try {
    const response = await fetch(`${baseUrl}/api/images/events?ids=1`, { signal: controller.signal });
    return (
      response.status === 200 && (response.headers.get('content-type') ?? '').startsWith('text/event-stream')
    );
  } finally {
    controller.abort();
  }
}

async function upload(
  server: ServerProcess,
  file: { name: string; type: string; bytes: Buffer<ArrayBuffer> },
): Promise<Tracked> {
  const result = await uploadFile(server.url, file.name, file.bytes, file.type);
  const accepted = now();
  if (result.status !== 201)
    throw new Error(`uploading ${file.name} answered ${result.status}: ${result.body}`);
  const { images } = JSON.parse(result.body) as { images: { id: number }[] };
  return { id: images[0]!.id, fixture: file.name, accepted };
}

/** Each upload on its own: a gallery page opens at its acceptance and polls; the stream is watched too. */
async function runSingle(
  server: ServerProcess,
  files: { name: string; type: string; bytes: Buffer<ArrayBuffer> }[],
  push: boolean,
): Promise<Tracked[]> {
  const tracked: Tracked[] = [];
  for (const file of files) {
    const t = await upload(server, file);
    tracked.push(t);
    await Promise.all([pollPage(server.url, [t], () => true), push ? watchPush(server.url, t) : undefined]);
  }
  await attachKeys(server.url, tracked);
  return tracked;
}

/** Uploads 8 at a time; one gallery page polls every pending image; each image's stream is watched. */
async function runBurst(
  server: ServerProcess,
  files: { name: string; type: string; bytes: Buffer<ArrayBuffer> }[],
  push: boolean,
): Promise<Tracked[]> {
  const tracked: Tracked[] = [];
  const watching: Promise<void>[] = [];
  let next = 0;
  const uploader = async () => {
    while (next < files.length) {
      const t = await upload(server, files[next++]!);
      tracked.push(t);
      if (push) watching.push(watchPush(server.url, t));
    }
  };
  const uploads = Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, uploader));
  // The page opens once the first upload is accepted.
  while (tracked.length === 0) await sleep(5);
  const page = pollPage(server.url, tracked, () => tracked.length === files.length);
  await uploads;
  await page;
  await Promise.all(watching);
  await attachKeys(server.url, tracked);
  return tracked;
}

/** gallery.js's loop: wait POLL_MS, ask for the pending ids' statuses, repeat while any is pending. */
async function pollPage(baseUrl: string, tracked: Tracked[], allThere: () => boolean): Promise<void> {
  const deadline = now() + GIVE_UP_MS;
  while (now() < deadline) {
    await sleep(POLL_MS);
    const open = tracked.filter((t) => t.seenPoll === undefined);
    for (let i = 0; i < open.length; i += 100) {
      const batch = open.slice(i, i + 100);
      const response = await fetch(`${baseUrl}/api/images/status?ids=${batch.map((t) => t.id).join(',')}`);
      const body = (await response.json()) as { images: (StatusJson & Record<string, string>)[] };
      const at = now();
      for (const image of body.images) {
        if (!settled(image)) continue;
        const t = batch.find((b) => b.id === image.id)!;
        t.seenPoll = at;
        t.failed = image.annotationStatus === 'failed' || image.thumbnailStatus === 'failed';
      }
    }
    if (allThere() && tracked.every((t) => t.seenPoll !== undefined)) return;
  }
  throw new Error(`images still pending after ${GIVE_UP_MS} ms`);
}

/** Reads the image's pushed stream until an event says both stages are done. */
async function watchPush(baseUrl: string, t: Tracked): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), GIVE_UP_MS);
  try {
    const response = await fetch(`${baseUrl}/api/images/events?ids=${t.id}`, { signal: controller.signal });
    if (response.status !== 200 || !response.body) throw new Error(`events answered ${response.status}`);
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        if (!/^event: status$/m.test(message)) continue;
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (data && settled(JSON.parse(data) as StatusJson)) {
          t.seenPush = now();
          return;
        }
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** The original's key of each image (from its originalUrl: the directory route ends with the key). */
async function attachKeys(baseUrl: string, tracked: Tracked[]): Promise<void> {
  for (const t of tracked) {
    const response = await fetch(`${baseUrl}/api/images/${t.id}`);
    const { originalUrl } = (await response.json()) as { originalUrl: string };
    const at = originalUrl.indexOf('/uploads/');
    t.key = decodeURIComponent(originalUrl.slice(at + 1).split('?')[0]!);
  }
}

function report(
  label: string,
  tracked: readonly Tracked[],
  stages: Map<string, Map<string, StageTimes>>,
  push: boolean,
): void {
  heading(`${label}: ${tracked.length} images`);
  const rows: Record<string, number[]> = {
    'done (accepted -> both recorded)': [],
    '  queueing (last stage)': [],
    '  work (last stage)': [],
    'thumbnail work': [],
    'annotation work': [],
    'page delay, polling': [],
    'seen by polling (accepted -> page knows)': [],
  };
  if (push) {
    rows['page delay, pushed'] = [];
    rows['seen by push (accepted -> page knows)'] = [];
  }
  let missing = 0;
  let annotationLast = 0;
  for (const t of tracked) {
    const times = t.key ? stages.get(t.key) : undefined;
    const thumb = times?.get('Thumbnail');
    const annot = times?.get('Annotation');
    if (!thumb || !annot || t.seenPoll === undefined) {
      missing++;
      continue;
    }
    const last = thumb.recorded >= annot.recorded ? thumb : annot;
    if (last === annot) annotationLast++;
    rows['done (accepted -> both recorded)']!.push(last.recorded - t.accepted);
    rows['  queueing (last stage)']!.push(last.start - t.accepted);
    rows['  work (last stage)']!.push(last.recorded - last.start);
    rows['thumbnail work']!.push(thumb.recorded - thumb.start);
    rows['annotation work']!.push(annot.recorded - annot.start);
    rows['page delay, polling']!.push(t.seenPoll - last.recorded);
    rows['seen by polling (accepted -> page knows)']!.push(t.seenPoll - t.accepted);
    if (push && t.seenPush !== undefined) {
      rows['page delay, pushed']!.push(t.seenPush - last.recorded);
      rows['seen by push (accepted -> page knows)']!.push(t.seenPush - t.accepted);
    }
  }
  const s = (v: number) => `${(v / 1000).toFixed(3)} s`;
  table([
    ['measure', 'p50', 'p95', 'max'],
    ...Object.entries(rows).map(([name, values]) => [
      name,
      s(percentile(values, 50)),
      s(percentile(values, 95)),
      s(Math.max(...values)),
    ]),
  ]);
  const failed = tracked.filter((t) => t.failed).length;
  console.log(
    `  the annotation finished last for ${annotationLast} of ${tracked.length - missing}; failed ${failed}; without stage log lines ${missing}`,
  );
}

await runBench('bench:latency', main);
