/**
 * `pnpm bench:gallery`: the gallery under load, in the production configuration.
 *
 * MariaDB (fresh databases of 10,000 and 100,000 seeded rows) and s3rver on loopback with real
 * objects behind the pages shown; the web app as a child process,
 * `node --expose-gc apps/web/src/main.ts`, one process per core (WEB_WORKERS=0) as on EC2; @annot/loadtest at concurrency 20 on the same
 * machine. A probe preloaded into the server reports its event-loop delay and presign counters.
 * Prints figures and verdicts; a missed target is not a crash (exit code 0).
 */
import os from 'node:os';
import { runLoadTest } from '@annot/loadtest';
import { startServer } from '@annot/testing';
import { deepCursor, fetchFirstThumbnail, pageRecords } from './gallery/pages.ts';
import { measurePresignCost } from './gallery/presign.ts';
import { galleryTargets, presignPerPage, scaleReport, TARGET } from './gallery/report.ts';
import { alternate, queryLatency, type Side } from './gallery/scale.ts';
import { createProbe, presignTotals } from './probe/client.ts';
import { seedMySql } from './seed/mysql.ts';
import { createDataset, type Database, type Dataset } from './setup/dataset.ts';
import { type Cleanup, runBench } from './util/cleanup.ts';
import { type Measured, measure } from './util/load.ts';
import * as out from './util/print.ts';

const REQUESTS = 4000;
const DURATION_SECONDS = 10;
const DEEP_PAGES = 100;
const GAP_MS = 90_000;
const SCALE = { rounds: 5, seconds: 3 };

async function main(cleanup: Cleanup): Promise<void> {
  out.printMachine();
  out.heading('setup');
  const dataset = await createDataset(cleanup, 'gallery');
  const small = await seeded(dataset, 10_000);
  const large = await seeded(dataset, 100_000);

  out.heading('presigning cost per URL (in-process micro-benchmark of S3ObjectStore.urlFor)');
  const cost = await measurePresignCost(dataset.storage);
  out.table([
    ['case', 'per URL', 'URLs'],
    ['first URL of a process (endpoint + signer setup)', `${cost.firstUrlMs.toFixed(2)} ms`, '1'],
    ['cold: first call for a key (one SigV4 signature)', `${cost.coldUs.toFixed(1)} µs`, String(cost.signed)],
    ['warm: repeat within 300 s (cache hit)', `${cost.warmUs.toFixed(2)} µs`, String(cost.cacheHits)],
  ]);

  out.heading(`load at concurrency 20, ${small.rows} rows`);
  const a = await startSide(cleanup, dataset, small);
  const runs: Measured[] = [];
  const run = async (label: string, path: string, limit: { requests?: number; durationSeconds?: number }) => {
    runs.push(await measure(a.server, a.probe, { label, path, ...limit }));
    return runs.at(-1)!;
  };
  await warmUp(a.server.url, ['/gallery', '/api/images']);
  const gallery4000 = await run(`/gallery x${REQUESTS}`, '/gallery', { requests: REQUESTS });
  const galleryTimed = await run(`/gallery ${DURATION_SECONDS}s`, '/gallery', {
    durationSeconds: DURATION_SECONDS,
  });
  await run(`/api/images x${REQUESTS}`, '/api/images', { requests: REQUESTS });
  await run(`/api/images ${DURATION_SECONDS}s`, '/api/images', { durationSeconds: DURATION_SECONDS });
  out.table([out.LOAD_HEADER, ...runs.map(out.loadRow)]);
  console.log('  (ELD p99: event-loop delay of the busiest server process during the run)');
  out.heading('CPU time per response, and the ceiling it sets on this machine (all sides share its cores)');
  out.cpuTable(runs);
  presignPerPage(runs.filter((m) => m.label.startsWith('/gallery')));

  out.heading(`scale: a second server on ${large.rows} rows`);
  const b = await startSide(cleanup, dataset, large);
  await warmUp(b.server.url, ['/gallery', `/gallery?cursor=${b.deepCursor}`]);
  await warmUp(a.server.url, [`/gallery?cursor=${a.deepCursor}`]);
  const scaleRuns = await alternate([a, b], SCALE.rounds, SCALE.seconds);
  const queries = {
    first: [await queryLatency(small.database, null), await queryLatency(large.database, null)],
    deep: [
      await queryLatency(small.database, a.deepCursor),
      await queryLatency(large.database, b.deepCursor),
    ],
  } as const;
  const scaleOk = scaleReport([small.rows, large.rows], scaleRuns, {
    first: [...queries.first],
    deep: [...queries.deep],
  });

  const targetOk = galleryTargets([gallery4000, galleryTimed]);
  out.heading('summary');
  out.printLoad();
  const limit = out.ceiling(galleryTimed);
  const r = galleryTimed.report;
  console.log(`  /gallery target ${targetOk ? 'MET' : 'NOT MET'}; scale ${scaleOk ? 'MET' : 'NOT MET'}`);
  console.log(
    `  /gallery ${DURATION_SECONDS}s: ${r.requestsPerSecond.toFixed(0)} req/s ` +
      `(${((r.requestsPerSecond / TARGET.requestsPerSecond) * 100).toFixed(0)}% of ${TARGET.requestsPerSecond}), ` +
      `p99 ${out.ms(r.latencyMs.p99)} (target ${TARGET.p99Ms} ms); a page costs ${out.ms(limit.perResponseMs)} of CPU ` +
      `(server + database + load generator), so this machine tops out near ${limit.requestsPerSecond.toFixed(0)} req/s`,
  );
  console.log(`  presign: ${cost.coldUs.toFixed(1)} µs cold, ${cost.warmUs.toFixed(2)} µs warm per URL`);
}

async function seeded(dataset: Dataset, rows: number): Promise<{ rows: number; database: Database }> {
  const database = await dataset.createDatabase();
  // Both tables end at about the same time: the newest pages look alike, only the history differs.
  const result = await seedMySql(database.url, {
    count: rows,
    startAtMs: Date.now() - rows * GAP_MS,
    seed: rows,
  });
  console.log(`  seeded ${result.rows} rows in ${(result.ms / 1000).toFixed(1)} s`);
  return { rows, database };
}

/**
 * A server on one database, with its probe; counts the signatures of its first page while every
 * URL cache is cold, finds its deep cursor, puts objects behind the first and the deep page, and
 * fetches one presigned thumbnail URL from the deep page to prove they are real.
 */
async function startSide(cleanup: Cleanup, dataset: Dataset, side: { rows: number; database: Database }) {
  const probe = createProbe();
  cleanup.add('remove the probe directory', () => probe.dispose());
  const server = await startServer({
    entry: 'apps/web/src/main.ts',
    env: { ...side.database.serverEnv, WEB_WORKERS: '0', LOG_LEVEL: 'warn', ...probe.env },
    workers: os.availableParallelism(),
  });
  cleanup.add('stop the server', () => server.stop());
  console.log(`  server ${server.url}: primary ${server.pid}, workers ${server.servingPids().join(', ')}`);

  const before = presignTotals(await probe.snapshot(server.servingPids()));
  await (await fetch(`${server.url}/gallery`)).text();
  const coldSigned = presignTotals(await probe.snapshot(server.servingPids())).signed - before.signed;
  console.log(`  signatures computed for the first /gallery page after start: ${coldSigned}`);

  const deep = await deepCursor(server.url, DEEP_PAGES);
  const objects = await dataset.putObjects(await pageRecords(side.database, [null, deep]));
  const check = await fetchFirstThumbnail(`${server.url}/gallery?cursor=${deep}`);
  console.log(
    `  deep cursor: ${DEEP_PAGES} pages in; ${objects} objects put for the first and the deep page; ` +
      `a presigned thumbnail URL from the deep page answers ${check.status} (${check.bytes} bytes)`,
  );
  if (check.status !== 200) throw new Error(`presigned URL ${check.url} answered ${check.status}`);
  return { ...side, server, probe, deepCursor: deep } satisfies Side;
}

/** A short unmeasured run per path: JIT, connection pools and URL caches as in steady state. */
async function warmUp(baseUrl: string, paths: readonly string[]): Promise<void> {
  const started = performance.now();
  for (const path of paths) {
    await runLoadTest({
      url: `${baseUrl}${path}`,
      requests: undefined,
      durationSeconds: 2,
      concurrency: 20,
      timeoutSeconds: 10,
      maxErrorRate: 1,
      method: 'GET',
      headers: {},
      allowRemote: false,
    });
  }
  console.log(`  warmed up ${paths.length} path(s) in ${out.ms(performance.now() - started)}`);
}

await runBench('bench:gallery', main);
