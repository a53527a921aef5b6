// The gallery bench's verdicts: the throughput target, presigning per page, and scale.
import type { Measured } from '../util/load.ts';
import { failures, heading, ms, table, verdict } from '../util/print.ts';
import type { QueryLatency, ScaleRuns } from './scale.ts';

export const TARGET = { requestsPerSecond: 2000, p99Ms: 25, scaleRatio: 1.5 } as const;

/** Checks the /gallery target on each run; true when every run meets it. */
export function galleryTargets(runs: readonly Measured[]): boolean {
  heading(`target: /gallery >= ${TARGET.requestsPerSecond} req/s, p99 <= ${TARGET.p99Ms} ms, zero errors`);
  let all = true;
  for (const m of runs) {
    const r = m.report;
    all =
      verdict(
        `${m.label} throughput`,
        r.requestsPerSecond >= TARGET.requestsPerSecond,
        `${r.requestsPerSecond.toFixed(0)} req/s`,
      ) && all;
    all = verdict(`${m.label} p99`, r.latencyMs.p99 <= TARGET.p99Ms, ms(r.latencyMs.p99)) && all;
    all = verdict(`${m.label} errors`, failures(m) === 0, `${failures(m)} of ${r.requests}`) && all;
  }
  return all;
}

/** Signatures per page served, from the server's own presign counters (see probe/preload.ts). */
export function presignPerPage(runs: readonly Measured[]): void {
  heading('presigning under load (server counters, all processes)');
  const rows = [['run', 'pages', 'signatures', 'per page', 'cache hits per page']];
  for (const m of runs) {
    const pages = m.report.responses;
    rows.push([
      m.label,
      String(pages),
      String(m.presign.signed),
      (m.presign.signed / pages).toFixed(4),
      (m.presign.cacheHits / pages).toFixed(1),
    ]);
  }
  table(rows);
}

/** p99 of the first and of a deep gallery page at both sizes; true when within the ratio. */
export function scaleReport(
  rows: [number, number],
  runs: ScaleRuns,
  queries: { first: [QueryLatency, QueryLatency]; deep: [QueryLatency, QueryLatency] },
): boolean {
  heading(
    `scale: gallery p99 at ${rows[0]} vs ${rows[1]} rows (median of ${runs.rounds} alternating rounds; must stay within ${TARGET.scaleRatio}x)`,
  );
  const lines = (['first', 'deep'] as const).map((page) => {
    const [a, b] = runs[page];
    const [qa, qb] = queries[page];
    const ratio = b.report.latencyMs.p99 / a.report.latencyMs.p99;
    return {
      page,
      ratio,
      row: [
        `${page} page`,
        ms(a.report.latencyMs.p99),
        ms(b.report.latencyMs.p99),
        `${ratio.toFixed(2)}x`,
        `${ms(a.report.latencyMs.p50)} / ${ms(b.report.latencyMs.p50)}`,
        `${ms(qa.p50Ms)} / ${ms(qb.p50Ms)}`,
      ],
    };
  });
  table([
    ['page', `p99 ${rows[0]}`, `p99 ${rows[1]}`, 'ratio', 'p50 (both)', 'query alone p50 (both)'],
    ...lines.map((l) => l.row),
  ]);
  let all = true;
  for (const l of lines)
    all = verdict(`${l.page} page p99 ratio`, l.ratio <= TARGET.scaleRatio, `${l.ratio.toFixed(2)}x`) && all;
  return all;
}
