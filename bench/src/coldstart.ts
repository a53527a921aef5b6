/**
 * `pnpm bench:coldstart`: the Lambda cold start of each worker bundle, as its image runs it. The
 * bundles are built (`node build.mjs`), each image's Dockerfile is carried out into a task root
 * (`buildLambdaImage`: the same npm install, the same ENV), and each run starts a fresh Node 24
 * process that imports the handler's module as the Lambda Node.js runtime does and handles one
 * Object Created event against local back ends: MariaDB (as RDS) and s3rver (as S3), with the fake
 * Gemini server for the Gemini annotator, then a second one (a warm invocation). Reported per
 * bundle, median of BENCH_RUNS runs (default 5, BENCH_VISION_RUNS=3 for the local vision annotator):
 * Node's own start-up, the time (wall and CPU) from process start to handler ready (Lambda's init)
 * and to the first finished result, the warm event, the share of the first result a warm container
 * would not have spent, and the peak RSS. Then the local vision annotator over the whole fixture set in one
 * process: its peak RSS, for the Lambda's memory size.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@annot/config';
import { type ImageRecord, type ImageRepository, openRepository } from '@annot/db';
import { createStorage, type Storage } from '@annot/storage';
import {
  ACCEPTED_FIXTURES,
  buildLambdaImage,
  type ColdStartReport,
  createTestDatabase,
  fixturePath,
  invokeLambdaImage,
  type LambdaImage,
  repoRoot,
  startFakeGemini,
  startS3Server,
} from '@annot/testing';
import { uploadOriginal } from '@annot/worker-runtime/testing/uploads';
import { type Cleanup, runBench } from './util/cleanup.ts';
import { heading, mib, ms, printLoad, printMachine, table, verdict } from './util/print.ts';
import { percentile } from './util/stats.ts';

const median = (values: readonly number[]) => percentile(values, 50);

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const VISION_RUNS = Number(process.env.BENCH_VISION_RUNS ?? 3);
/** The targets of issue 14 §2, for the thumbnailer and the Gemini annotator. */
const READY_TARGET_MS = 300;
const EVENT_FIXTURE = 'flowers.jpeg';
/**
 * BENCH_BUILD_ROOT: build and install the bundles of another checkout of this repository (its apps/
 * with node_modules linked to this one's), to measure before and after a change in one run.
 */
const buildRoot = process.env.BENCH_BUILD_ROOT ?? repoRoot;
/** BENCH_NODE_OPTIONS replaces the image's NODE_OPTIONS (to compare, say, without source maps). */
const nodeOptions: Record<string, string> =
  process.env.BENCH_NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS };

interface Backend {
  readonly env: Record<string, string>;
  readonly storage: Storage;
  readonly repository: ImageRepository;
}

interface Bundle {
  readonly label: string;
  readonly app: 'thumbnailer' | 'annotator';
  readonly buildArgs: Record<string, string>;
  readonly env: Record<string, string>;
  readonly runs: number;
  readonly target: boolean;
  /** The row's fields that show this bundle's result is recorded. */
  readonly done: (row: ImageRecord) => boolean;
}

async function main(cleanup: Cleanup): Promise<void> {
  printMachine();
  heading('build the bundles (node build.mjs) and carry out their Dockerfiles');
  for (const app of ['thumbnailer', 'annotator']) {
    const { stdout } = await promisify(execFile)(process.execPath, ['build.mjs'], {
      cwd: path.join(buildRoot, 'apps', app),
    });
    console.log(`  ${app}: ${stdout.trim()}`);
  }

  const buckets = { originals: 'coldstart-originals', thumbnails: 'coldstart-thumbnails' };
  const s3 = await startS3Server([buckets.originals, buckets.thumbnails], { versioned: true });
  cleanup.add('stop s3rver', () => s3.stop());
  const db = await createTestDatabase('coldstart');
  cleanup.add('drop the database', () => db.drop());
  const gemini = await startFakeGemini({
    defaultBehaviour: {
      kind: 'structured',
      caption: 'Pink flowers in a vase.',
      tags: [{ label: 'flower', confidence: 0.9 }],
    },
  });
  cleanup.add('stop the fake Gemini server', () => gemini.stop());
  const env = { DATABASE_URL: db.url, ...s3.env(buckets), LOG_LEVEL: 'warn' };
  const config = loadConfig(env);
  // The web tier migrates; the Lambdas open the database with migrate: false.
  const repository = await openRepository({ database: config.database });
  cleanup.add('close the repository', () => repository.close());
  const storage = createStorage(config.storage, config.presign, {
    s3ClientConfig: { credentials: s3.credentials },
  });
  const backend: Backend = { env, storage, repository };

  const bundles: Bundle[] = [
    {
      label: 'thumbnailer',
      app: 'thumbnailer',
      buildArgs: {},
      env: {},
      runs: RUNS,
      target: true,
      done: (row) => row.thumbnailStatus === 'completed',
    },
    {
      label: 'annotator, Gemini (fake server)',
      app: 'annotator',
      buildArgs: { ANNOTATOR: 'gemini' },
      env: { GEMINI_API_KEY: 'coldstart-key', GEMINI_BASE_URL: gemini.baseUrl },
      runs: RUNS,
      target: true,
      done: (row) => row.annotationStatus === 'completed' && row.annotator === 'gemini',
    },
    {
      label: 'annotator, local vision',
      app: 'annotator',
      buildArgs: { ANNOTATOR: 'local' },
      env: {},
      runs: VISION_RUNS,
      target: false,
      done: (row) => row.annotationStatus === 'completed' && row.annotationModel === 'local-vision-v1',
    },
  ];

  // BENCH_ONLY=thumbnailer,gemini picks bundles by their labels.
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim().toLowerCase());
  const chosen = bundles.filter((b) => !only || only.some((o) => b.label.toLowerCase().includes(o)));
  const images = new Map<Bundle, LambdaImage>();
  for (const bundle of chosen) {
    const started = performance.now();
    const image = await buildLambdaImage({
      context: path.join(buildRoot, 'apps', bundle.app),
      buildArgs: bundle.buildArgs,
    });
    cleanup.add(`remove ${image.taskRoot}`, () => image.remove());
    images.set(bundle, image);
    const size = await image.size();
    console.log(
      `  ${bundle.label}: task root ${mib(size.total)} (node_modules ${mib(size.nodeModules)}), ` +
        `ENV ${JSON.stringify(image.env)}, ready in ${ms(performance.now() - started)}`,
    );
  }

  heading(`cold starts: a fresh process, two ${EVENT_FIXTURE} events (median of the runs)`);
  const rows = [
    [
      'bundle',
      'runs',
      'node boot',
      'ready',
      'ready CPU',
      'first result',
      'its CPU',
      'warm event',
      'loading share',
      'peak RSS',
    ],
  ];
  const verdicts: [string, number, number][] = [];
  for (const bundle of chosen) {
    const reports: ColdStartReport[] = [];
    for (let run = 0; run < bundle.runs; run++) {
      const bytes = await readFile(fixturePath(EVENT_FIXTURE));
      // The same image twice: the first is the cold start, the second what a warm container spends.
      const uploads = [
        await upload(backend, bytes, EVENT_FIXTURE),
        await upload(backend, bytes, EVENT_FIXTURE),
      ];
      const report = await invokeLambdaImage(images.get(bundle)!, {
        env: { ...backend.env, ...bundle.env, ...nodeOptions },
        events: uploads.map((u) => u.event),
        functionName: bundle.app,
      });
      for (const [index, { key }] of uploads.entries()) {
        const result = report.results[index]!;
        const row = await repository.getByOriginalKey(key);
        if (result.error || !row || !bundle.done(row)) {
          throw new Error(
            `${bundle.label}: event ${index + 1} was not handled (${result.error ?? JSON.stringify(result.outcome)}; row ${JSON.stringify(row)})\n${report.output.slice(-2000)}`,
          );
        }
      }
      reports.push(report);
    }
    const first = (r: ColdStartReport) => r.results[0]!;
    const warm = (r: ColdStartReport) => r.results[1]!.finishedMs - r.results[1]!.startedMs;
    const ready = median(reports.map((r) => r.readyMs));
    const readyCpu = median(reports.map((r) => r.readyCpuMs));
    rows.push([
      bundle.label,
      String(bundle.runs),
      ms(median(reports.map((r) => r.bootMs))),
      ms(ready),
      ms(readyCpu),
      ms(median(reports.map((r) => first(r).finishedMs))),
      ms(median(reports.map((r) => first(r).cpuMs))),
      ms(median(reports.map(warm))),
      `${Math.round(median(reports.map((r) => (first(r).finishedMs - warm(r)) / first(r).finishedMs)) * 100)}%`,
      mib(median(reports.map((r) => r.maxRssBytes))),
    ]);
    if (bundle.target) verdicts.push([bundle.label, ready, readyCpu]);
  }
  table(rows);
  console.log(
    '  ready: process start to handler exported (Lambda init); first result: process start to the first event done;\n' +
      '  warm event: the second event in the same process; loading share: (first result - warm event) / first result,\n' +
      '  what a warm container would not have spent. CPU: user + system time of the process by then.',
  );
  for (const [label, ready, readyCpu] of verdicts) {
    verdict(
      `${label}: process start to handler ready <= ${READY_TARGET_MS} ms (wall)`,
      ready <= READY_TARGET_MS,
      ms(ready),
    );
    verdict(
      `${label}: the same in CPU time <= ${READY_TARGET_MS} ms`,
      readyCpu <= READY_TARGET_MS,
      ms(readyCpu),
    );
  }
  printLoad();

  const local = chosen.find((b) => b.buildArgs.ANNOTATOR === 'local');
  if (!local) return;
  heading(
    `local vision annotator: the ${ACCEPTED_FIXTURES.length} accepted fixtures in one process (memory)`,
  );
  const uploads = [];
  for (const fixture of ACCEPTED_FIXTURES) {
    uploads.push({
      fixture,
      ...(await upload(backend, await readFile(fixturePath(fixture.name)), fixture.name)),
    });
  }
  const report = await invokeLambdaImage(images.get(local)!, {
    env: backend.env,
    events: uploads.map((u) => u.event),
    functionName: 'annotator',
    timeoutMs: 600_000,
  });
  const perImage = [['fixture', 'time', 'RSS after']];
  for (const [index, result] of report.results.entries()) {
    const { fixture, key } = uploads[index]!;
    const row = await repository.getByOriginalKey(key);
    perImage.push([
      `${fixture.name} (${fixture.width}x${fixture.height})${row?.annotationStatus === 'completed' ? '' : ` ${row?.annotationStatus}`}`,
      ms(result.finishedMs - result.startedMs),
      result.rssBytes ? mib(result.rssBytes) : (result.error ?? '').split('\n')[0]!,
    ]);
  }
  table(perImage);
  console.log(`  handler ready ${ms(report.readyMs)}; peak RSS over the set ${mib(report.maxRssBytes)}`);
  printLoad();
}

/** What the web tier does for an upload: the pending row, then the original, whose put raises the event. */
function upload(backend: Backend, bytes: Uint8Array, filename: string) {
  const contentType = ACCEPTED_FIXTURES.find((f) => f.name === filename)?.type ?? 'image/jpeg';
  return uploadOriginal(backend, bytes, filename, contentType);
}

await runBench('bench:coldstart', main);
