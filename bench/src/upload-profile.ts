/**
 * `node bench/src/upload-profile.ts [--uploads N] [--warm-up N] [--perf DIR]`: where the web tier's
 * CPU goes under the upload bench's load. One web process (`WEB_WORKERS=1`, MariaDB and the S3
 * adapter on s3rver, as bench:upload), 20 clients in a closed loop, `--warm-up` unmeasured uploads
 * (default 200), then `--uploads` measured (default 1000).
 *
 * With `--perf DIR` the measured uploads run under Linux `perf record` (on-CPU samples at 1999 Hz,
 * with call graphs; node started with --perf-basic-prof so JavaScript frames are named), and
 * `perf script -i DIR/perf.data | node bench/src/profile/perf-summary.ts` sums the samples by the
 * package or source file that owns them. V8's own --cpu-prof is not used for this: it samples
 * wall time, so on a machine this busy it charges to whatever function was running when the
 * process lost its core (a socket write waking MariaDB, say) the time it then spent waiting.
 * perf counts only time on a CPU.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fixturePath, startServer } from '@annot/testing';
import { createDataset } from './setup/dataset.ts';
import { closedLoop } from './upload/closed-loop.ts';
import { integerOption } from './util/args.ts';
import { runBench } from './util/cleanup.ts';
import { cpuMeter } from './util/cpu.ts';
import { heading, ms, printMachine } from './util/print.ts';
import { percentile } from './util/stats.ts';

const { values: args } = parseArgs({
  options: {
    uploads: { type: 'string', default: '1000' },
    'warm-up': { type: 'string', default: '200' },
    perf: { type: 'string' },
  },
});
const UPLOADS = integerOption(args, 'uploads', 1);
const CLIENTS = 20;
const WARM_UP = integerOption(args, 'warm-up', 0);

await runBench('upload profile', async (cleanup) => {
  printMachine();
  const dataset = await createDataset(cleanup, 'uprof');
  const database = await dataset.createDatabase();
  const flowers = await readFile(fixturePath('flowers.jpeg'));
  const server = await startServer({
    entry: 'apps/web/src/main.ts',
    env: {
      ...database.serverEnv,
      LOG_LEVEL: 'warn',
      WEB_WORKERS: '1',
      ...(args.perf ? { NODE_OPTIONS: '--perf-basic-prof --interpreted-frames-native-stack' } : {}),
    },
  });
  cleanup.add('stop the server', () => server.stop());
  const run = (count: number) => closedLoop(server.url, flowers, { clients: CLIENTS, count });
  await run(WARM_UP);
  let perf: ChildProcess | undefined;
  if (args.perf) {
    mkdirSync(args.perf, { recursive: true });
    perf = spawn(
      'perf',
      ['record', '-F', '1999', '-g', '-o', `${args.perf}/perf.data`, '-p', String(server.pid)],
      { stdio: 'inherit' },
    );
    cleanup.add('stop perf', () => perf?.kill('SIGINT'));
  }
  const meter = cpuMeter([server.pid]);
  const started = performance.now();
  const latencies = await run(UPLOADS);
  const wallMs = performance.now() - started;
  const cpu = meter.stop();
  if (perf) {
    perf.kill('SIGINT');
    await once(perf, 'exit');
  }
  heading(`${UPLOADS} uploads of flowers.jpeg, ${CLIENTS} clients, one web process`);
  console.log(
    `  ${((UPLOADS / wallMs) * 1000).toFixed(1)} uploads/s, p50 ${ms(percentile(latencies, 50))}, ` +
      `p99 ${ms(percentile(latencies, 99))}; CPU per upload: web ${ms(cpu.serverMs / UPLOADS)}, ` +
      `MariaDB ${ms(cpu.databaseMs / UPLOADS)}, bench process (clients + s3rver) ${ms(cpu.generatorMs / UPLOADS)}`,
  );
  if (args.perf) {
    console.log(`  perf script -i ${args.perf}/perf.data | node bench/src/profile/perf-summary.ts`);
  }
});
