// Scale: the same pages at 10,000 and at 100,000 rows. On a machine shared with other work, load
// drifts over a minute, so the two servers are measured in alternation, several short rounds, and
// the median round is compared. The repository's query is timed in-process as well: it is the part
// that depends on the table's size.
import { openRepository } from '@annot/db';
import type { ServerProcess } from '@annot/testing';
import type { Probe } from '../probe/client.ts';
import type { Database } from '../setup/dataset.ts';
import { type Measured, measure } from '../util/load.ts';
import { percentile } from '../util/stats.ts';

export interface Side {
  readonly rows: number;
  readonly server: ServerProcess;
  readonly probe: Probe;
  readonly database: Database;
  readonly deepCursor: string;
}

export interface ScaleRuns {
  /** Per side and page, the round with the median p99. */
  readonly first: [Measured, Measured];
  readonly deep: [Measured, Measured];
  readonly rounds: number;
}

export async function alternate(sides: [Side, Side], rounds: number, seconds: number): Promise<ScaleRuns> {
  const runs = new Map<string, Measured[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const page of ['first', 'deep'] as const) {
      for (const side of sides) {
        const path = page === 'first' ? '/gallery' : `/gallery?cursor=${side.deepCursor}`;
        const label = `${page} page, ${side.rows} rows`;
        const measured = await measure(side.server, side.probe, { label, path, durationSeconds: seconds });
        runs.set(label, [...(runs.get(label) ?? []), measured]);
      }
    }
  }
  const median = (page: 'first' | 'deep', side: Side): Measured => {
    const list = [...runs.get(`${page} page, ${side.rows} rows`)!].sort(
      (a, b) => a.report.latencyMs.p99 - b.report.latencyMs.p99,
    );
    return list[Math.floor(list.length / 2)]!;
  };
  return {
    first: [median('first', sides[0]), median('first', sides[1])],
    deep: [median('deep', sides[0]), median('deep', sides[1])],
    rounds,
  };
}

export interface QueryLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** listPage for one page, `calls` times in a row, on its own connection pool (no HTTP, no load). */
export async function queryLatency(
  database: Database,
  cursor: string | null,
  calls = 400,
): Promise<QueryLatency> {
  const repository = await openRepository({ database: database.config.database, migrate: false });
  try {
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      await repository.listPage({ limit: database.config.galleryPageSize, cursor });
      times.push(performance.now() - started);
    }
    return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
  } finally {
    await repository.close();
  }
}
