import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/types.ts';
import { type KnownServer, startKnownServer } from './helpers/known-server.ts';
import { runCli } from './helpers/run-cli.ts';

let server: KnownServer;
beforeAll(async () => {
  server = await startKnownServer();
});
afterAll(async () => {
  await server.close();
});

describe('pnpm loadtest, end to end', () => {
  it('exits 1 and prints a JSON report when the error rate exceeds --max-error-rate', async () => {
    const before = server.hits('/flaky');
    const { code, stdout } = await runCli([
      '--url',
      server.url('/flaky'),
      '--num-requests',
      '100',
      '--concurrency',
      '10',
      '--json',
    ]);

    const report = JSON.parse(stdout) as Report;
    expect(server.hits('/flaky') - before).toBe(100);
    expect(report).toMatchObject({ requests: 100, errorRate: 0.1, passed: false });
    expect(Object.values(report.statusCodes).reduce((a, b) => a + b, 0)).toBe(100);
    expect(code).toBe(1);
  });

  it('exits 0 when the error rate is within --max-error-rate', async () => {
    const { code, stdout } = await runCli([
      '--url',
      server.url('/flaky'),
      '--requests',
      '100',
      '--max-error-rate',
      '0.2',
      '--json',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ requests: 100, passed: true });
    expect(code).toBe(0);
  });

  it('prints the text report with every required figure', async () => {
    const { code, stdout } = await runCli(['--url', server.url('/ok'), '--requests', '50']);
    expect(code).toBe(0);
    for (const label of ['Total time', 'Requests/s', 'p50', 'p95', 'p99', 'max', 'Timeouts', 'Error rate']) {
      expect(stdout).toContain(label);
    }
    expect(stdout).toMatch(/^ {2}200 +50$/m);
  });

  it('exits 2 for a remote URL without --allow-remote, before sending anything', async () => {
    const { code, stdout, stderr } = await runCli(['--url', 'http://192.0.2.10/gallery', '--requests', '10']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/192\.0\.2\.10.*--allow-remote/s);
  });

  it('exits 2 and names the flag for a bad argument', async () => {
    const { code, stderr } = await runCli(['--url', server.url('/ok'), '--concurrency', 'lots']);
    expect(code).toBe(2);
    expect(stderr).toContain('--concurrency must be a whole number');
  });

  it('prints usage for --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: pnpm loadtest --url/);
  });
});
