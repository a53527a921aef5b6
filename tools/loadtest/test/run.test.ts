import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLoadTest } from '../src/run.ts';
import type { LoadTestOptions } from '../src/types.ts';
import { closedPort, DELAY_MS, type KnownServer, OK_BODY, startKnownServer } from './helpers/known-server.ts';
import { runOptions } from './helpers/options.ts';

let server: KnownServer;
beforeEach(async () => {
  server = await startKnownServer();
});
afterEach(async () => {
  await server.close();
});

function options(url: string, overrides: Partial<LoadTestOptions> = {}): LoadTestOptions {
  return runOptions(url, { requests: 100, concurrency: 10, ...overrides });
}

describe('runLoadTest against a server with known answers', () => {
  it('counts each status code exactly: /flaky fails every 10th request', async () => {
    const report = await runLoadTest(options(server.url('/flaky')));

    expect(server.hits('/flaky')).toBe(100);
    expect(report).toMatchObject({
      stoppedBy: 'requests',
      requests: 100,
      responses: 100,
      statusCodes: { '200': 90, '500': 10 },
      errors: 0,
      timeouts: 0,
      non2xx: 10,
      serverErrors: 10,
      errorRate: 0.1,
      maxErrorRate: 0.01,
      passed: false,
    });
  });

  it('passes when the error rate equals the threshold', async () => {
    const report = await runLoadTest(options(server.url('/flaky'), { maxErrorRate: 0.1 }));
    expect(report.errorRate).toBe(0.1);
    expect(report.passed).toBe(true);
  });

  it('reports throughput, bytes and ordered latency percentiles for /ok', async () => {
    const report = await runLoadTest(options(server.url('/ok'), { requests: 200, concurrency: 20 }));

    expect(report).toMatchObject({ requests: 200, statusCodes: { '200': 200 }, errorRate: 0, passed: true });
    // Every response is the same size (headers included), so the total is a multiple of 200.
    expect(report.bytes % 200).toBe(0);
    expect(report.bytes / 200).toBeGreaterThan(OK_BODY.length);
    const { mean, p50, p95, p99, max } = report.latencyMs;
    expect(p50).toBeGreaterThan(0);
    expect([p50, p95, p99, max]).toEqual([p50, p95, p99, max].sort((a, b) => a - b));
    expect(mean).toBeLessThanOrEqual(max);
    expect(report.requestsPerSecond).toBeCloseTo(200 / (report.totalTimeMs / 1000), 0);
  });

  it('measures latency in milliseconds: /delay answers after 30 ms', async () => {
    const report = await runLoadTest(options(server.url('/delay'), { requests: 40 }));
    expect(report.latencyMs.p50).toBeGreaterThanOrEqual(DELAY_MS - 1);
    expect(report.latencyMs.mean).toBeGreaterThanOrEqual(DELAY_MS - 1);
    // Lower bounds only: the server's delay guarantees them; how much longer a busy machine takes is
    // not the tool's to promise.
    expect(report.latencyMs.max).toBeGreaterThanOrEqual(report.latencyMs.p50);
    // 40 requests, 10 at a time, each at least 30 ms: at least four rounds.
    expect(report.totalTimeMs).toBeGreaterThanOrEqual(4 * DELAY_MS - 5);
  });

  it('counts requests with no answer within --timeout as timeouts, not responses', async () => {
    const report = await runLoadTest(
      options(server.url('/slow'), { requests: 4, concurrency: 2, timeoutSeconds: 1 }),
    );
    expect(report).toMatchObject({
      requests: 4,
      responses: 0,
      timeouts: 4,
      errors: 0,
      statusCodes: {},
      errorRate: 1,
      passed: false,
    });
    expect(report.latencyMs).toEqual({ mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });

  it('counts refused connections as errors', async () => {
    const port = await closedPort();
    const report = await runLoadTest(options(`http://127.0.0.1:${port}/`, { requests: 20, concurrency: 2 }));
    expect(report).toMatchObject({ requests: 20, responses: 0, errors: 20, timeouts: 0, errorRate: 1 });
  });

  it('counts 4xx as non-2xx but not against the error rate', async () => {
    const report = await runLoadTest(options(server.url('/missing'), { requests: 50 }));
    expect(report).toMatchObject({ statusCodes: { '404': 50 }, non2xx: 50, serverErrors: 0, errorRate: 0 });
    expect(report.passed).toBe(true);
  });

  it('sends the method and headers it is given', async () => {
    await runLoadTest(
      options(server.url('/ok'), {
        requests: 3,
        concurrency: 1,
        method: 'DELETE',
        headers: { 'x-run': 'r1' },
      }),
    );
    expect(server.lastRequest()).toMatchObject({ method: 'DELETE', headers: { 'x-run': 'r1' } });
  });
});
