import { describe, expect, it } from 'vitest';
import { createProgressPrinter, formatProgress } from '../src/progress.ts';
import { alignColumns, renderJson, renderText } from '../src/report.ts';
import type { ProgressSnapshot, Report } from '../src/types.ts';

const report: Report = {
  url: 'http://127.0.0.1:3000/gallery',
  method: 'GET',
  concurrency: 20,
  stoppedBy: 'requests',
  totalTimeMs: 2000,
  requests: 4000,
  responses: 3998,
  requestsPerSecond: 1999,
  latencyMs: { mean: 9.5, p50: 8.25, p95: 20, p99: 24.75, max: 131.5 },
  statusCodes: { '200': 3980, '404': 8, '500': 10 },
  errors: 1,
  timeouts: 1,
  non2xx: 18,
  serverErrors: 10,
  bytes: 3 * 1024 * 1024,
  errorRate: 0.003,
  maxErrorRate: 0.01,
  passed: true,
};

describe('renderText', () => {
  const text = renderText(report);
  const lines = text.split('\n');

  it('shows the summary, latency and verdict', () => {
    expect(text).toContain('Load test of GET http://127.0.0.1:3000/gallery');
    expect(text).toMatch(/Total time +2\.00 s/);
    expect(text).toMatch(/Requests\/s +1999\.0/);
    expect(text).toMatch(/Transferred +3\.0 MiB/);
    expect(text).toMatch(/Error rate +0\.30% +limit 1\.00% +OK/);
    expect(renderText({ ...report, passed: false })).toMatch(/EXCEEDED/);
  });

  it('right-aligns each latency figure under its heading', () => {
    const header = lines.find((l) => l.includes('Latency (ms)'))!;
    const values = lines[lines.indexOf(header) + 1]!;
    for (const [name, value] of [
      ['mean', '9.50'],
      ['p50', '8.25'],
      ['p95', '20.00'],
      ['p99', '24.75'],
      ['max', '131.50'],
    ] as const) {
      const end = header.indexOf(name) + name.length;
      expect(values.slice(0, end).endsWith(value), `${name} column`).toBe(true);
    }
  });

  it('lists every status code with its count, counts aligned on the right', () => {
    const rows = lines.filter((l) => /^ {2}(200|404|500) /.test(l));
    expect(rows.map((r) => r.trim().split(/ +/))).toEqual([
      ['200', '3980'],
      ['404', '8'],
      ['500', '10'],
    ]);
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
  });
});

describe('renderJson', () => {
  it('round-trips the report', () => {
    expect(JSON.parse(renderJson(report))).toEqual(report);
  });
});

describe('alignColumns', () => {
  it('pads to the widest cell and trims trailing space', () => {
    expect(
      alignColumns(
        [
          ['a', '1'],
          ['long', '100'],
        ],
        ['left', 'right'],
      ),
    ).toEqual(['a       1', 'long  100']);
  });
});

const snapshot = (elapsedMs: number): ProgressSnapshot => ({
  elapsedMs,
  completed: elapsedMs,
  totalRequests: 4000,
  durationMs: undefined,
  currentRate: 1234.4,
  errors: 1,
});

describe('progress', () => {
  it('formats one line', () => {
    expect(formatProgress(snapshot(1500))).toBe('[1.5s] 1500/4000 requests, 1234 req/s, 1 error');
    expect(formatProgress({ ...snapshot(500), totalRequests: undefined, durationMs: 10_000 })).toBe(
      '[0.5s/10.0s] 500 requests, 1234 req/s, 1 error',
    );
  });

  it('rewrites a single line on a terminal and clears it at the end', () => {
    const chunks: string[] = [];
    const printer = createProgressPrinter({ isTTY: true, write: (c: string) => chunks.push(c) });
    printer.update(snapshot(500));
    printer.update(snapshot(1000));
    printer.finish();
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => c.startsWith('\r\x1b[2K') && !c.includes('\n'))).toBe(true);
  });

  it('appends a line only every few seconds elsewhere', () => {
    const chunks: string[] = [];
    const printer = createProgressPrinter({ isTTY: false, write: (c: string) => chunks.push(c) }, 5000);
    for (let ms = 500; ms <= 12_000; ms += 500) printer.update(snapshot(ms));
    printer.finish();
    expect(chunks).toEqual([`${formatProgress(snapshot(5000))}\n`, `${formatProgress(snapshot(10_000))}\n`]);
  });
});
