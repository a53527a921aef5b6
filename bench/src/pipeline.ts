/**
 * `pnpm bench:pipeline`: the embedded configuration (`node --expose-gc apps/embedded/src/dev.ts`:
 * SQLite and blobs in a temporary DATA_DIR, the in-process event bus, the thumbnailer and the
 * facts-only local annotator) takes 200 uploads of the accepted fixture images, 8 at a time, while the bench
 * polls /api/images/status as the gallery does. Prints images/s through the workers, and the time
 * from the start of each upload to both stages done (completed or failed).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACCEPTED_FIXTURES, distinctCopy, fixturePath, startServer } from '@annot/testing';
import { uploadFile } from './upload/multipart.ts';
import { type Cleanup, runBench } from './util/cleanup.ts';
import { heading, ms, printMachine, table } from './util/print.ts';
import { percentile } from './util/stats.ts';

const IMAGES = 200;
const UPLOAD_CONCURRENCY = 8;
const POLL_MS = 100;
const GIVE_UP_MS = 240_000;

interface Tracked {
  readonly id: number;
  readonly fixture: string;
  readonly startedAt: number;
  doneAt?: number;
  failures?: string[];
}

interface StatusJson {
  images: {
    id: number;
    annotationStatus: string;
    thumbnailStatus: string;
    annotationError: string | null;
    thumbnailError: string | null;
  }[];
}

async function main(cleanup: Cleanup): Promise<void> {
  printMachine();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-pipeline-'));
  cleanup.add('remove DATA_DIR', () => rm(dataDir, { recursive: true, force: true }));
  const server = await startServer({
    entry: 'apps/embedded/src/dev.ts',
    env: {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // The facts-only annotator, so these figures stay comparable; `pnpm bench:annotate` measures
      // the offline vision annotator (LOCAL_ANNOTATOR=vision overrides).
      LOCAL_ANNOTATOR: process.env.LOCAL_ANNOTATOR ?? 'facts',
      // The one platform setting this bench passes on, to compare worker caps in BENCHMARKS.md.
      ...(process.env.LOCAL_WORKER_CONCURRENCY
        ? { LOCAL_WORKER_CONCURRENCY: process.env.LOCAL_WORKER_CONCURRENCY }
        : {}),
    },
  });
  cleanup.add('stop the server', () => server.stop());
  console.log(`  embedded server ${server.url} (pid ${server.pid}), DATA_DIR ${dataDir}`);
  // Each upload must be distinct bytes (the same bytes again are a duplicate, answered with the
  // stored image and not processed again): distinctCopy varies JPEG and PNG files only.
  const files = await Promise.all(
    ACCEPTED_FIXTURES.filter((f) => f.type === 'image/jpeg' || f.type === 'image/png').map(async (f) => ({
      name: f.name,
      type: f.type,
      bytes: await readFile(fixturePath(f.name)),
    })),
  );

  heading(`${IMAGES} uploads, ${UPLOAD_CONCURRENCY} at a time, cycling through ${files.length} fixtures`);
  const tracked: Tracked[] = [];
  const started = performance.now();
  let next = 0;
  const uploader = async () => {
    while (next < IMAGES) {
      const n = next++;
      const file = files[n % files.length]!;
      const startedAt = performance.now();
      const bytes = distinctCopy(file.bytes, `pipeline ${process.pid} ${n}`);
      const result = await uploadFile(server.url, file.name, bytes, file.type);
      if (result.status !== 201)
        throw new Error(`uploading ${file.name} answered ${result.status}: ${result.body}`);
      const { images } = JSON.parse(result.body) as { images: { id: number }[] };
      tracked.push({ id: images[0]!.id, fixture: file.name, startedAt });
    }
  };
  const polling = poll(server.url, tracked, () => tracked.length === IMAGES);
  await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, uploader));
  const uploadedMs = performance.now() - started;
  await polling;
  report(tracked, started, uploadedMs);
}

/** Polls the status of every image not yet done until all are, or GIVE_UP_MS has passed. */
async function poll(baseUrl: string, tracked: Tracked[], allUploaded: () => boolean): Promise<void> {
  const deadline = performance.now() + GIVE_UP_MS;
  while (performance.now() < deadline) {
    const open = tracked.filter((t) => t.doneAt === undefined);
    if (open.length === 0 && allUploaded()) return;
    for (let i = 0; i < open.length; i += 100) {
      const batch = open.slice(i, i + 100);
      const response = await fetch(`${baseUrl}/api/images/status?ids=${batch.map((t) => t.id).join(',')}`);
      const body = (await response.json()) as StatusJson;
      const now = performance.now();
      for (const image of body.images) {
        if (image.annotationStatus === 'pending' || image.thumbnailStatus === 'pending') continue;
        const t = batch.find((b) => b.id === image.id)!;
        t.doneAt = now;
        t.failures = [
          image.thumbnailStatus === 'failed' ? `thumbnail: ${image.thumbnailError}` : '',
          image.annotationStatus === 'failed' ? `annotation: ${image.annotationError}` : '',
        ].filter(Boolean);
      }
    }
    await sleep(POLL_MS);
  }
}

function report(tracked: readonly Tracked[], started: number, uploadedMs: number): void {
  const done = tracked.filter((t) => t.doneAt !== undefined);
  const lastDone = Math.max(...done.map((t) => t.doneAt!));
  const latencies = done.map((t) => t.doneAt! - t.startedAt);
  table([
    ['images', 'uploaded in', 'all done in', 'images/s', 'p50', 'p95', 'max', 'failed', 'not done'],
    [
      String(tracked.length),
      ms(uploadedMs),
      ms(lastDone - started),
      ((done.length / (lastDone - started)) * 1000).toFixed(1),
      ms(percentile(latencies, 50)),
      ms(percentile(latencies, 95)),
      ms(Math.max(...latencies)),
      String(done.filter((t) => t.failures!.length > 0).length),
      String(tracked.length - done.length),
    ],
  ]);
  console.log(`  (latency: from the start of an upload to both stages done, polled every ${POLL_MS} ms)`);
  const reasons = new Map<string, number>();
  for (const t of done)
    for (const f of t.failures!)
      reasons.set(`${t.fixture}: ${f}`, (reasons.get(`${t.fixture}: ${f}`) ?? 0) + 1);
  for (const [reason, count] of reasons) console.log(`  failed x${count}  ${reason}`);
}

await runBench('bench:pipeline', main);
