import type { Report } from './types.ts';

type Align = 'left' | 'right';

/** Pads each column to its widest cell; numbers read best right-aligned. */
export function alignColumns(rows: readonly (readonly string[])[], align: readonly Align[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return align[i] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;

function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 ** 2) return `${fixed(count / 1024, 1)} KiB`;
  if (count < 1024 ** 3) return `${fixed(count / 1024 ** 2, 1)} MiB`;
  return `${fixed(count / 1024 ** 3, 2)} GiB`;
}

const STOP_REASONS = {
  requests: 'all requests done',
  duration: 'duration reached',
  aborted: 'aborted',
} as const;

/** The report as an operator reads it: a summary, latency, a count per status code, the verdict. */
export function renderText(report: Report): string {
  const indent = (lines: string[]) => lines.map((line) => `  ${line}`);
  const { latencyMs: l } = report;

  const summary = alignColumns(
    [
      ['Total time', `${fixed(report.totalTimeMs / 1000, 2)} s`],
      ['Requests', `${report.requests} (${report.responses} with a response)`],
      ['Requests/s', fixed(report.requestsPerSecond, 1)],
      ['Transferred', bytes(report.bytes)],
    ],
    ['left', 'left'],
  );
  const latency = alignColumns(
    [
      ['Latency (ms)', 'mean', 'p50', 'p95', 'p99', 'max'],
      ['', ...[l.mean, l.p50, l.p95, l.p99, l.max].map((v) => fixed(v, 2))],
    ],
    ['left', 'right', 'right', 'right', 'right', 'right'],
  );
  const codes = Object.entries(report.statusCodes);
  const statuses = alignColumns(
    [
      ['Status', 'Count'],
      ...(codes.length > 0 ? codes.map(([code, n]) => [code, String(n)]) : [['none', '0']]),
    ],
    ['left', 'right'],
  );
  const verdict = report.passed ? 'OK' : 'EXCEEDED';
  const failures = alignColumns(
    [
      ['Errors (connection)', String(report.errors)],
      ['Timeouts', String(report.timeouts)],
      ['Non-2xx responses', String(report.non2xx)],
      ['5xx responses', String(report.serverErrors)],
      ['Error rate', percent(report.errorRate), `limit ${percent(report.maxErrorRate)}`, verdict],
    ],
    ['left', 'right', 'left', 'left'],
  );

  return [
    `Load test of ${report.method} ${report.url}`,
    `  concurrency ${report.concurrency}, stopped: ${STOP_REASONS[report.stoppedBy]}`,
    '',
    ...indent(summary),
    '',
    ...indent(latency),
    '',
    ...indent(statuses),
    '',
    ...indent(failures),
    '',
  ].join('\n');
}

/** The report for machines: the Report object as it is, one JSON document. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
