import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RemoteTargetError } from '../src/guard.ts';
import { InvalidOptionsError, runLoadTest } from '../src/run.ts';
import type { LoadTestOptions, ProgressSnapshot } from '../src/types.ts';
import { type KnownServer, startKnownServer } from './helpers/known-server.ts';
import { runOptions } from './helpers/options.ts';

let server: KnownServer;
beforeEach(async () => {
  server = await startKnownServer();
});
afterEach(async () => {
  await server.close();
});

function options(url: string, overrides: Partial<LoadTestOptions>): LoadTestOptions {
  return runOptions(url, { concurrency: 5, ...overrides });
}

describe('when a run stops', () => {
  it('runs for --duration alone and reports progress meanwhile', async () => {
    const snapshots: ProgressSnapshot[] = [];
    const report = await runLoadTest(options(server.url('/delay'), { durationSeconds: 1 }), {
      onProgress: (s) => snapshots.push(s),
      progressIntervalMs: 200,
    });

    expect(report.stoppedBy).toBe('duration');
    // No upper bound: a busy machine may stretch the run, and that is not the tool's fault. The
    // duration's timer cannot fire early, so the run cannot have ended well before it.
    expect(report.totalTimeMs).toBeGreaterThanOrEqual(900);
    // Requests in flight when the run stops reach the server but are dropped by the client: at most
    // one per connection.
    const dropped = server.hits('/delay') - report.responses;
    expect(dropped).toBeGreaterThanOrEqual(0);
    expect(dropped).toBeLessThanOrEqual(5);
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    const first = snapshots[0]!;
    const last = snapshots.at(-1)!;
    expect(first).toMatchObject({ totalRequests: undefined, durationMs: 1000, errors: 0 });
    expect(last.elapsedMs).toBeGreaterThan(first.elapsedMs);
    expect(last.completed).toBeGreaterThan(first.completed);
    expect(last.currentRate).toBeGreaterThan(0);
  });

  it('with both limits, stops at the request count when that comes first', async () => {
    const report = await runLoadTest(options(server.url('/ok'), { requests: 50, durationSeconds: 30 }));
    expect(report).toMatchObject({ stoppedBy: 'requests', requests: 50, responses: 50 });
    expect(server.hits('/ok')).toBe(50);
  });

  it('with both limits, stops at the duration when that comes first', async () => {
    const report = await runLoadTest(
      options(server.url('/delay'), { requests: 1_000_000, durationSeconds: 0.5 }),
    );
    expect(report.stoppedBy).toBe('duration');
    expect(report.requests).toBeGreaterThan(0);
    expect(report.requests).toBeLessThan(1_000_000);
  });

  it('stops when its signal is aborted and reports what finished', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const report = await runLoadTest(options(server.url('/delay'), { requests: 100_000 }), {
      signal: abort.signal,
    });
    expect(report.stoppedBy).toBe('aborted');
    expect(report.requests).toBeGreaterThan(0);
    expect(report.requests).toBeLessThan(100_000);
  });
});

describe('what runLoadTest refuses before sending anything', () => {
  it('refuses a remote target unless allowRemote is set', async () => {
    await expect(runLoadTest(options('http://192.168.1.1/', { requests: 10 }))).rejects.toThrow(
      RemoteTargetError,
    );
  });

  it.each([
    { name: 'no limit at all', overrides: {} },
    { name: 'concurrency above requests', overrides: { requests: 3, concurrency: 4 } },
    { name: 'a timeout under autocannon’s 1 s minimum', overrides: { requests: 3, timeoutSeconds: 0.5 } },
    { name: 'an error rate above 1', overrides: { requests: 3, maxErrorRate: 2 } },
  ])('refuses $name', async ({ overrides }) => {
    await expect(runLoadTest(options(server.url('/ok'), overrides))).rejects.toThrow(InvalidOptionsError);
    expect(server.hits('/ok')).toBe(0);
  });
});
