// A partition: the proxy keeps every connection open but passes no byte, so nothing fails fast and
// only timeouts end the requests. Every request must end within its timeout plus a margin (its
// budget, contract.ts), and once the partition heals the same process serves again. A client that
// stops sending mid-upload is the same fault on the other side of the web tier.
//
// Needs: the timeouts, 503 + Retry-After, /health's report and GET /ready (feature "timeouts");
// the reconciliation sweep for the leftovers of requests that timed out (feature "sweep").
import { setTimeout as sleep } from 'node:timers/promises';
import { mariaDbAvailable } from '@annot/testing';
import { describe, expect, it } from 'vitest';
import { MARGIN_MS, PROBE_BUDGET_MS, SETTINGS, SWEPT_WITHIN_MS, uploadBudget } from '../src/contract.ts';
import {
  expectCleanEnd,
  expectHealthReport,
  expectRecovered,
  expectStatus,
  expectUnavailable,
} from '../src/expectations.ts';
import { poll } from '../src/poll.ts';
import { GRACE_MS, streamUpload } from '../src/requests.ts';
import { BUCKETS, type FaultySystem, whileFaulted, withFaultySystem } from '../src/system.ts';

const MiB = 1024 * 1024;
const QUERY_BUDGET_MS = SETTINGS.DB_QUERY_TIMEOUT_MS + MARGIN_MS;

describe.runIf(await mariaDbAvailable())('a dependency behind a partition', () => {
  let system: FaultySystem;
  withFaultySystem((started) => {
    system = started;
  });

  it('MariaDB frozen: every request ends within DB_QUERY_TIMEOUT_MS + 1 s, with 503 where it needs the database; served again once it heals', async () => {
    const log = system.requests();
    const pid = system.web.pid;
    await whileFaulted(system.database, 'freeze', async () => {
      const [gallery, images, status, upload, health, ready] = await Promise.all([
        log.get('/gallery', QUERY_BUDGET_MS),
        log.get('/api/images', QUERY_BUDGET_MS),
        log.get('/api/images/status?ids=1', QUERY_BUDGET_MS),
        log.upload(uploadBudget('database')),
        log.get('/health', PROBE_BUDGET_MS),
        log.get('/ready', PROBE_BUDGET_MS),
      ]);
      for (const outcome of [gallery, images, status, upload]) expectUnavailable(outcome);
      expectHealthReport(health, 'database');
      expectStatus(ready, 503);
    });
    await expectRecovered(log);
    await expectCleanEnd(system, log, { pid, settleMs: SWEPT_WITHIN_MS });
  });

  it('S3 frozen: an upload ends within two S3 timeouts + 1 s with 503, the gallery is served; uploads again once it heals', async () => {
    const log = system.requests();
    const pid = system.web.pid;
    await whileFaulted(system.storage, 'freeze', async () => {
      const [upload, gallery, health, ready] = await Promise.all([
        log.upload(uploadBudget('storage')),
        log.get('/gallery', QUERY_BUDGET_MS),
        log.get('/health', PROBE_BUDGET_MS),
        log.get('/ready', PROBE_BUDGET_MS),
      ]);
      expectUnavailable(upload);
      expectStatus(gallery, 200);
      expectHealthReport(health, 'storage');
      expectStatus(ready, 503);
    });
    await expectRecovered(log);
    // A put the web tier gave up on still reaches S3 once the partition heals (TCP delivers what
    // was sent, and the proxy holds it, as a partition does): an original may then arrive after
    // its row was deleted. One to one holds only if a put whose outcome is unknown leaves its row
    // to the sweep (which keeps it once the original is there), or if the sweep also removes
    // originals that no row names.
    await expectCleanEnd(system, log, { pid, settleMs: SWEPT_WITHIN_MS });
  });

  it('a client that stops sending mid-upload is cut off within UPLOAD_IDLE_TIMEOUT_MS + 1 s and leaves nothing behind', async () => {
    const log = system.requests();
    const pid = system.web.pid;
    // More than one 5 MiB part, so the web tier has a multipart upload open when the client stalls.
    const upload = await streamUpload(system.url, {
      size: 30 * MiB,
      fastBytes: 7 * MiB,
      chunkBytes: 256 * 1024,
      everyMs: 20,
    });
    try {
      const open = await poll(
        () => system.s3.multipartUploads(BUCKETS.originals),
        (uploads) => uploads.length > 0,
        { withinMs: 10_000 },
      );
      expect(open, 'the upload has a multipart upload open').toHaveLength(1);
      upload.stall();
      const stalledAt = performance.now();
      const budgetMs = SETTINGS.UPLOAD_IDLE_TIMEOUT_MS + MARGIN_MS;
      const end = await Promise.race([upload.done, sleep(budgetMs + GRACE_MS).then(() => undefined)]);
      log.record({
        label: 'POST /upload, from the client stalling to the request ending',
        method: 'POST',
        path: '/upload',
        status: end?.status,
        retryAfter: null,
        body: end?.body ?? '',
        error: end ? end.error : `still open ${budgetMs + GRACE_MS} ms after the client stalled`,
        ms: performance.now() - stalledAt,
        budgetMs,
      });
    } finally {
      upload.destroy();
    }
    await expectCleanEnd(system, log, { pid, settleMs: SWEPT_WITHIN_MS });
  });
});
