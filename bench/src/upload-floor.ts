/**
 * `pnpm bench:upload-floor`: how much of an upload's web-tier CPU is the stack it is built on.
 * The same closed loop as bench:upload (20 clients uploading flowers.jpeg, distinct bytes each
 * time, MariaDB and s3rver on loopback) against six servers, each in its own process, each doing
 * one thing more than the one before (upload/layers.ts): node:http alone; Fastify with
 * @fastify/multipart; the S3 put; the row's INSERT; the app's other two statements; and the web
 * app itself (WEB_WORKERS=1). For each: CPU per upload of that one process (/proc/<pid>/stat),
 * what the layer adds to the one before, and its share of the app's figure; uploads/s, p50 and
 * p99. Every layer is measured `--passes` times (default 3) in this one run, so their spread shows
 * the machine's noise; the summary takes each layer's lowest figure.
 *
 * Options: --uploads (measured per layer and pass, default 2000), --warm-up (unmeasured uploads
 * before them, default 2000: V8 is still compiling the hot path for the first thousand or so).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fixturePath, NODE_FLAGS, startServer } from '@annot/testing';
import { createDataset, type Database } from './setup/dataset.ts';
import { closedLoop } from './upload/closed-loop.ts';
import { LAYERS, type LayerName } from './upload/layers.ts';
import { integerOption } from './util/args.ts';
import { type Cleanup, runBench } from './util/cleanup.ts';
import { cpuMeter } from './util/cpu.ts';
import { heading, ms, printLoad, printMachine, table } from './util/print.ts';
import { percentile } from './util/stats.ts';

const { values: args } = parseArgs({
  options: {
    uploads: { type: 'string', default: '2000' },
    'warm-up': { type: 'string', default: '2000' },
    passes: { type: 'string', default: '3' },
  },
});
const UPLOADS = integerOption(args, 'uploads', 1);
const WARM_UP = integerOption(args, 'warm-up', 0);
const PASSES = integerOption(args, 'passes', 1);
const CLIENTS = 20;

interface Figures {
  readonly cpuMs: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

await runBench('upload floor', async (cleanup) => {
  printMachine();
  const dataset = await createDataset(cleanup, 'ufloor');
  const database = await dataset.createDatabase();
  const flowers = await readFile(fixturePath('flowers.jpeg'));
  const figures = new Map<LayerName, Figures[]>(LAYERS.map((l) => [l.name, []]));
  for (let pass = 1; pass <= PASSES; pass++) {
    heading(
      `pass ${pass} of ${PASSES}: ${UPLOADS} uploads per layer, ${CLIENTS} clients, after ${WARM_UP} unmeasured`,
    );
    const rows = [['layer', 'web CPU/upload', 'uploads/s', 'p50', 'p99']];
    for (const { name } of LAYERS) {
      const server = await startLayer(cleanup, database, name);
      await closedLoop(server.url, flowers, { clients: CLIENTS, count: WARM_UP });
      const meter = cpuMeter([server.pid]);
      const started = performance.now();
      const latencies = await closedLoop(server.url, flowers, { clients: CLIENTS, count: UPLOADS });
      const wallMs = performance.now() - started;
      const cpu = meter.stop();
      await server.stop();
      const measured = {
        cpuMs: cpu.serverMs / UPLOADS,
        perSecond: (UPLOADS / wallMs) * 1000,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      };
      figures.get(name)!.push(measured);
      rows.push([
        name,
        ms(measured.cpuMs),
        measured.perSecond.toFixed(0),
        ms(measured.p50),
        ms(measured.p99),
      ]);
    }
    table(rows);
    printLoad();
  }

  // Other work on the cores only ever adds CPU (a process that loses its core comes back to cold
  // caches), so each layer's lowest figure is the least disturbed one.
  heading("summary: each layer's lowest figure over the passes");
  const passes = (name: LayerName) => figures.get(name)!.map((f) => f.cpuMs);
  const lowest = (name: LayerName) => Math.min(...passes(name));
  const app = lowest('app');
  const rows = [['layer', 'web CPU/upload', 'all passes', 'added by this layer', "of the app's", 'adds']];
  let before = 0;
  for (const { name, adds } of LAYERS) {
    const cpu = lowest(name);
    rows.push([
      name,
      ms(cpu),
      passes(name)
        .map((v) => v.toFixed(2))
        .join(', '),
      ms(cpu - before),
      `${((cpu / app) * 100).toFixed(0)} %`,
      adds,
    ]);
    before = cpu;
  }
  table(rows);
  console.log(
    '  (web CPU = the one server process, user + system, from /proc/<pid>/stat. The clients and s3rver\n' +
      '   run in this process and MariaDB in its own, on the same cores: a busy machine shows as spread\n' +
      '   between the passes.)',
  );
});

interface LayerServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function startLayer(cleanup: Cleanup, database: Database, name: LayerName): Promise<LayerServer> {
  const env = { ...database.serverEnv, LOG_LEVEL: 'warn' };
  if (name === 'app') {
    const server = await startServer({ entry: 'apps/web/src/main.ts', env: { ...env, WEB_WORKERS: '1' } });
    cleanup.add(`stop the ${name} server`, () => server.stop());
    return { url: server.url, pid: server.pid, stop: () => server.stop() };
  }
  const child = fork(new URL('./upload/layer-server.ts', import.meta.url), [name], {
    env: { ...process.env, ...env },
    execArgv: [...NODE_FLAGS],
  });
  cleanup.add(`stop the ${name} server`, () => stopChild(child));
  const ready = once(child, 'message') as Promise<[{ port: number }]>;
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the ${name} layer server exited (${code}) before it was ready`);
  });
  const [{ port }] = await Promise.race([ready, exited]);
  exited.catch(() => {});
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill();
  await exited;
}
