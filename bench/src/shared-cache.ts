/**
 * `pnpm bench:shared-cache`: what REDIS_URL costs on the gallery's hot path. The same server (the
 * production entry, one process), the same 500 SQLite rows, `/gallery` at concurrency 20 for a
 * few seconds: once with each process's own cache (in memory), once with the shared cache in the
 * real Redis at 127.0.0.1:6379 (one script round trip per request). Short and bounded; prints the
 * machine's load before and after. Not a target, a measurement.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import { runLoadTest } from '@annot/loadtest';
import { uploadKey } from '@annot/object-keys';
import { startServer } from '@annot/testing';
import * as out from './util/print.ts';

const ROWS = 500;
const SECONDS = 5;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function main(): Promise<void> {
  out.printMachine();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-shared-cache-'));
  try {
    const repository = await openRepository({ database: loadConfig({ DATA_DIR: dataDir }).database });
    for (let i = 0; i < ROWS; i++) {
      const filename = `photo-${i}.jpg`;
      await repository.createPending({
        filename,
        originalKey: uploadKey(filename),
        contentType: 'image/jpeg',
        byteSize: 100_000,
        width: 800,
        height: 600,
      });
    }
    await repository.close();

    const rows: string[][] = [['cache', 'req/s', 'p50', 'p99', 'errors']];
    for (const [label, extra] of [
      ['per process (memory)', {}],
      ['shared (Redis)', { REDIS_URL, REDIS_KEY_PREFIX: `bench:${randomUUID()}:` }],
    ] as const) {
      const server = await startServer({
        entry: 'apps/web/src/main.ts',
        env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn', SWEEP_INTERVAL_MS: '0', ...extra },
      });
      try {
        // Warm-up: the first render, and the connections.
        await runLoadTest({
          url: `${server.url}/gallery`,
          requests: 200,
          durationSeconds: undefined,
          concurrency: 20,
          timeoutSeconds: 10,
          maxErrorRate: 0,
          method: 'GET',
          headers: {},
          allowRemote: false,
        });
        const report = await runLoadTest({
          url: `${server.url}/gallery`,
          requests: undefined,
          durationSeconds: SECONDS,
          concurrency: 20,
          timeoutSeconds: 10,
          maxErrorRate: 0,
          method: 'GET',
          headers: {},
          allowRemote: false,
        });
        rows.push([
          label,
          report.requestsPerSecond.toFixed(0),
          `${report.latencyMs.p50.toFixed(2)} ms`,
          `${report.latencyMs.p99.toFixed(2)} ms`,
          String(report.errors + report.timeouts + report.serverErrors),
        ]);
      } finally {
        await server.stop();
      }
    }
    out.table(rows);
    out.printLoad();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
