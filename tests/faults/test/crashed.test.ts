// The web process is killed (SIGKILL) in the middle of a large upload: its row is written and its
// multipart upload has parts, but the original will never arrive. The acceptance: with
// STALE_UPLOAD_MS=3000, 10 s after the kill no row is left without its original (and here: no
// original without its row, no multipart upload left open).
//
// Needs: the reconciliation sweep (feature "sweep"): the removal of the stale row and the abort of
// the unfinished multipart upload. What the kill leaves behind is checked first, and passes today.
import { mariaDbAvailable } from '@annot/testing';
import { describe, expect, it } from 'vitest';
import { CRASH_SETTLED_MS, MARGIN_MS, uploadBudget } from '../src/contract.ts';
import { expectCleanEnd, expectStatus } from '../src/expectations.ts';
import { mismatches } from '../src/holdings.ts';
import { poll } from '../src/poll.ts';
import { streamUpload } from '../src/requests.ts';
import { type FaultySystem, withFaultySystem } from '../src/system.ts';

const MiB = 1024 * 1024;

describe.runIf(await mariaDbAvailable())('a web process killed mid-upload', () => {
  let system: FaultySystem;
  withFaultySystem((started) => {
    system = started;
  });

  it('leaves, 10 s after the kill, every row with its original and no multipart upload open', async () => {
    const log = system.requests();
    const started = performance.now();
    // 30 MB: the first 6 MiB at once (a part is 5 MiB), then 64 KiB every 50 ms (about 1.3 MB/s),
    // so the upload is far from done when the process is killed.
    const upload = await streamUpload(system.url, {
      size: 30 * 1000 * 1000,
      fastBytes: 6 * MiB,
      chunkBytes: 64 * 1024,
      everyMs: 50,
    });
    try {
      const inFlight = await poll(
        () => system.inspector.holdings(),
        (holdings) => holdings.rows.length === 1 && holdings.multipartUploads.length === 1,
        { withinMs: 10_000 },
      );
      expect(inFlight.rows, 'the upload has its row').toHaveLength(1);
      expect(inFlight.multipartUploads, 'the upload has a multipart upload open').toHaveLength(1);

      await system.kill();
      const killedAt = performance.now();
      const end = await upload.done;
      log.record({
        label: 'POST /upload of 30 MB, killed',
        method: 'POST',
        path: '/upload',
        status: end.status,
        retryAfter: null,
        body: end.body,
        error: end.error,
        ms: performance.now() - started,
        budgetMs: killedAt - started + MARGIN_MS,
      });
      expect(end.status, 'a killed process answers nothing').toBeUndefined();
      expect(upload.sent()).toBeLessThan(30 * 1000 * 1000);

      // What the crash left: a pending row without its original, and the open multipart upload.
      const left = mismatches(await system.inspector.holdings());
      expect(left.rowsWithoutObject).toHaveLength(1);
      expect(left.objectsWithoutRow).toEqual([]);
      expect(left.unfinishedUploads).toHaveLength(1);

      await system.restart();
      const pid = system.web.pid;
      expectStatus(await log.upload(uploadBudget('storage'), 'POST /upload after the restart'), 201);
      await expectCleanEnd(system, log, {
        pid,
        settleMs: Math.max(0, CRASH_SETTLED_MS - (performance.now() - killedAt)),
      });
    } finally {
      upload.destroy();
    }
  });
});
