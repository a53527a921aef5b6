// A dependency that is down: its proxy resets every connection and refuses new ones. Requests that
// need it end at once with 503 and Retry-After (a refusal must not wait for a timeout), the rest
// are served, /health stays 200 and says which one is down, /ready is 503; once it is back, the
// same process serves again.
//
// Needs: the timeouts, 503 + Retry-After, /health's report and GET /ready (feature "timeouts").
import { mariaDbAvailable } from '@annot/testing';
import { describe, it } from 'vitest';
import { MARGIN_MS, PROBE_BUDGET_MS, SETTINGS, SWEPT_WITHIN_MS } from '../src/contract.ts';
import {
  expectCleanEnd,
  expectHealthReport,
  expectRecovered,
  expectStatus,
  expectUnavailable,
  expectWithin,
} from '../src/expectations.ts';
import type { Outcome } from '../src/requests.ts';
import { type FaultySystem, whileFaulted, withFaultySystem } from '../src/system.ts';

describe.runIf(await mariaDbAvailable())('a dependency that refuses connections', () => {
  let system: FaultySystem;
  withFaultySystem((started) => {
    system = started;
  });

  it('MariaDB down: 503 with Retry-After at once, /health 200, /ready 503; served again once it is back', async () => {
    const log = system.requests();
    const pid = system.web.pid;
    const quick = SETTINGS.DB_QUERY_TIMEOUT_MS;
    await whileFaulted(system.database, 'refuse', async () => {
      const needDatabase: Outcome[] = [
        await log.get('/gallery', quick),
        await log.get('/api/images', quick),
        await log.get('/api/images/status?ids=1', quick),
        await log.upload(quick),
      ];
      for (const outcome of needDatabase) {
        expectUnavailable(outcome);
        expectWithin(outcome, quick);
      }
      expectHealthReport(await log.get('/health', PROBE_BUDGET_MS), 'database');
      expectStatus(await log.get('/ready', quick), 503);
    });
    await expectRecovered(log);
    await expectCleanEnd(system, log, { pid, settleMs: SWEPT_WITHIN_MS });
  });

  it('S3 down: uploads get 503 with Retry-After at once, the gallery is served, /health 200, /ready 503; uploads again once it is back', async () => {
    const log = system.requests();
    const pid = system.web.pid;
    const quick = SETTINGS.S3_REQUEST_TIMEOUT_MS;
    await whileFaulted(system.storage, 'refuse', async () => {
      const upload = await log.upload(quick);
      expectUnavailable(upload);
      expectWithin(upload, quick);
      // Pages only sign URLs, which needs no request to S3.
      expectStatus(await log.get('/gallery', SETTINGS.DB_QUERY_TIMEOUT_MS + MARGIN_MS), 200);
      expectHealthReport(await log.get('/health', PROBE_BUDGET_MS), 'storage');
      expectStatus(await log.get('/ready', quick), 503);
    });
    await expectRecovered(log);
    await expectCleanEnd(system, log, { pid, settleMs: SWEPT_WITHIN_MS });
  });
});
