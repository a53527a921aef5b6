/**
 * `pnpm bench:upload`: uploads against the production configuration:
 * `node --expose-gc apps/web/src/main.ts` with MariaDB and the S3 adapter (s3rver on loopback, in this process), one web process per core.
 * The workers do not run in this configuration (in AWS they are Lambdas), so this is the web tier
 * alone: inspect the header, write the row, stream the body to S3.
 *
 * - 20 concurrent clients uploading flowers.jpeg (Accept: application/json), 400 uploads per round:
 *   uploads/s, p50, p99, and the web processes' CPU per upload (options: --concurrency,
 *   --uploads (per round), --rounds, --warm-up: the uploads of the warm-up round before them).
 * - One streamed 50 MB upload (accepted) and one of 60 MB (refused, 413): the server's peak RSS
 *   growth during each, which must stay under 30 MB because bodies are streamed, never buffered.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { distinctCopy, fixturePath, type ServerProcess, startServer } from '@annot/testing';
import { createProbe, type Probe } from './probe/client.ts';
import { createDataset, type Database } from './setup/dataset.ts';
import { concurrentUploads } from './upload/concurrent.ts';
import { measureGrowth } from './upload/memory.ts';
import { streamUpload, uploadFile } from './upload/multipart.ts';
import { integerOption } from './util/args.ts';
import { type Cleanup, runBench } from './util/cleanup.ts';
import { heading, mib, ms, printMachine, table, verdict } from './util/print.ts';

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '20' },
    uploads: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '3' },
    'warm-up': { type: 'string', default: '4000' },
  },
});
const positive = (name: keyof typeof args): number => integerOption(args, name, 1);
const CONCURRENT = {
  concurrency: positive('concurrency'),
  uploads: positive('uploads'),
  rounds: positive('rounds'),
  warmUp: positive('warm-up'),
};
const MAX_GROWTH_BYTES = 30 * 1024 * 1024;
const BIG = [
  { label: '50 MB (accepted)', size: 50_000_000, expected: 201 },
  { label: '60 MB (refused)', size: 60_000_000, expected: 413 },
] as const;

async function main(cleanup: Cleanup): Promise<void> {
  printMachine();
  heading('setup');
  const dataset = await createDataset(cleanup, 'upload');
  const database = await dataset.createDatabase();
  const flowers = await readFile(fixturePath('flowers.jpeg'));
  const probe = createProbe({ memoryIntervalMs: 10 });
  cleanup.add('remove the probe directory', () => probe.dispose());
  const server = await start(cleanup, database, probe, flowers, {
    WEB_WORKERS: '0',
  });

  heading('one streamed upload at a time: peak RSS growth of the busiest server process');
  const verdicts = await bigUploads(server, probe);
  for (const [label, ok, detail] of verdicts) verdict(label, ok, detail);
  console.log(
    '  (Buffers = process.memoryUsage().arrayBuffers. Every socket read is a new 64 KiB Buffer; the web app,\n' +
      '   started with --expose-gc as deployed, runs a young-generation GC every 4 MiB of upload body\n' +
      '   (apps/web/src/upload/reclaim.ts) to free them.)',
  );
  await concurrentUploads(server, flowers, CONCURRENT);
  await server.stop();

  heading('diagnostic: the same uploads, one process, a full GC forced every 50 ms (live memory only)');
  const gcProbe = createProbe({ memoryIntervalMs: 10, forceGcMs: 50 });
  cleanup.add('remove the diagnostic probe directory', () => gcProbe.dispose());
  const diagnostic = await start(cleanup, database, gcProbe, flowers, { WEB_WORKERS: '1' });
  await bigUploads(diagnostic, gcProbe);
  await diagnostic.stop();
}

async function start(
  cleanup: Cleanup,
  database: Database,
  probe: Probe,
  flowers: Buffer<ArrayBuffer>,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const workers = env.WEB_WORKERS === '0' ? os.availableParallelism() : 0;
  const server = await startServer({
    entry: 'apps/web/src/main.ts',
    env: { ...database.serverEnv, LOG_LEVEL: 'warn', ...probe.env, ...env },
    workers,
  });
  cleanup.add('stop the server', () => server.stop());
  console.log(
    `  server ${server.url}: pids ${[...new Set([server.pid, ...server.servingPids()])].join(', ')}`,
  );
  // A few uploads first, so each process has loaded the upload path (multipart, file-type, the S3 upload).
  for (let i = 0; i < 3 * Math.max(1, workers); i++) {
    const bytes = distinctCopy(flowers, `warm-up ${process.pid} ${server.pid} ${i}`);
    expectStatus(await uploadFile(server.url, 'warm-up.jpeg', bytes, 'image/jpeg'), 201);
  }
  return server;
}

async function bigUploads(server: ServerProcess, probe: Probe): Promise<[string, boolean, string][]> {
  // A real 2725 x 2225 JPEG starts the file, so it passes inspection; zeros pad it to size.
  const head = await readFile(fixturePath('2569067123_aca715a2ee_o.jpg'));
  const rows = [['upload', 'status', 'time', 'MB/s', 'peak RSS growth', 'of it Buffers', 'JS heap used']];
  const verdicts: [string, boolean, string][] = [];
  for (const big of BIG) {
    const pids = server.servingPids();
    const before = await probe.snapshot(pids);
    const { result, growth } = await measureGrowth(pids, () =>
      // A distinct head each time: the same bytes again would be a duplicate, not stored.
      streamUpload(
        server.url,
        `big-${big.size}.jpg`,
        distinctCopy(head, `${big.size} ${performance.now()}`),
        big.size,
      ),
    );
    const after = await probe.snapshot(pids);
    expectStatus(result, big.expected);
    const start = before.find((s) => s.pid === growth.pid)!.memory.now;
    const peaks = after.find((s) => s.pid === growth.pid)!.memory.peaks ?? start;
    rows.push([
      big.label,
      String(result.status),
      ms(result.ms),
      ((big.size / 1e6 / result.ms) * 1000).toFixed(0),
      mib(growth.peakGrowthBytes),
      mib(peaks.arrayBuffers - start.arrayBuffers),
      mib(peaks.heapUsed - start.heapUsed),
    ]);
    verdicts.push([
      `${big.label} peak RSS growth < ${mib(MAX_GROWTH_BYTES)}`,
      growth.peakGrowthBytes < MAX_GROWTH_BYTES,
      mib(growth.peakGrowthBytes),
    ]);
  }
  table(rows);
  return verdicts;
}

export function expectStatus(result: { status: number; body: string }, expected: number): void {
  if (result.status !== expected) {
    throw new Error(`upload answered ${result.status}, expected ${expected}: ${result.body.slice(0, 500)}`);
  }
}

await runBench('bench:upload', main);
