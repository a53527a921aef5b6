/**
 * `pnpm bench:upload-floor`: how much of an upload's web-tier CPU is the stack it is built on.
 * The same kind of closed loop as bench:upload (20 clients uploading flowers.jpeg, distinct bytes each
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
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fixturePath, type ServerProcess, startServer } from '@annot/testing';
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
    // Each pass starts one layer later, so no layer always runs on the fullest database and bucket.
    const order = LAYERS.map((_, i) => LAYERS[(i + pass - 1) % LAYERS.length]!.name);
    const rows = new Map<LayerName, string[]>();
    for (const name of order) {
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
      rows.set(name, [
        name,
        ms(measured.cpuMs),
        measured.perSecond.toFixed(0),
        ms(measured.p50),
        ms(measured.p99),
      ]);
    }
    table([['layer', 'web CPU/upload', 'uploads/s', 'p50', 'p99'], ...LAYERS.map((l) => rows.get(l.name)!)]);
    console.log(`  (run in this order: ${order.join(', ')})`);
    printLoad();
  }

  // Other work on the cores only ever adds CPU (a process that loses its core comes back to cold
  // caches), so each layer's lowest figure is the least disturbed one.
  heading("summary: each layer's lowest figure over the passes");
  const passes = (name: LayerName) => figures.get(name)!.map((f) => f.cpuMs);
  const lowest = (name: LayerName) => Math.min(...passes(name));
  const app = lowest('app');
  const summary = [
    [
      'layer',
      'web CPU/upload',
      'all passes',
      'added (lowest)',
      'added, pass by pass',
      "of the app's",
      'adds',
    ],
  ];
  let previous: LayerName | undefined;
  for (const { name, adds } of LAYERS) {
    const cpu = lowest(name);
    const below = previous;
    // What this layer added in each pass, against the layer before it in the same pass.
    const added = passes(name).map((v, i) => v - (below ? passes(below)[i]! : 0));
    summary.push([
      name,
      ms(cpu),
      list(passes(name)),
      ms(cpu - (below ? lowest(below) : 0)),
      list(added),
      `${((cpu / app) * 100).toFixed(0)} %`,
      adds,
    ]);
    previous = name;
  }
  table(summary);
  console.log(
    '  (web CPU = the one server process, user + system, from /proc/<pid>/stat. The clients and s3rver\n' +
      '   run in this process and MariaDB in its own, on the same cores: a busy machine shows as spread\n' +
      '   between the passes.)',
  );
});

function list(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(', ');
}

/** Each layer as the app is started (startServer: its flags, a clean environment, /health). */
async function startLayer(cleanup: Cleanup, database: Database, name: LayerName): Promise<ServerProcess> {
  const env = { ...database.serverEnv, LOG_LEVEL: 'warn' };
  const server =
    name === 'app'
      ? await startServer({ entry: 'apps/web/src/main.ts', env: { ...env, WEB_WORKERS: '1' } })
      : await startServer({
          entry: 'bench/src/upload/layer-server.ts',
          env: { ...env, UPLOAD_FLOOR_LAYER: name },
        });
  cleanup.add(`stop the ${name} server`, () => server.stop());
  return server;
}
