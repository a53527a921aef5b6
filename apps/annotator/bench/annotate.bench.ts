/**
 * Offline vision annotator benchmark (a script, not a test): `pnpm bench:annotate [--rounds 3]`.
 *
 * Pins itself to one core (re-runs under `taskset -c 0` when taskset exists), loads the models
 * once and times it, then annotates every accepted fixture `rounds` times (what the worker runs per
 * image: check, decode, CenterNet + BlazeFace, nsfwjs, PaddleOCR) and prints the median and p95
 * milliseconds per image, each fixture's median and what was found, and the process's peak RSS.
 * The models run in their worker thread, as in the embedded system; BENCH_VISION_THREAD=false runs
 * them in-process, as the Lambda does.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ACCEPTED_FIXTURES, fixturePath } from '@annot/testing';
import { checkOriginal } from '@annot/worker-runtime';
import sharp from 'sharp';
import { createVisionAnnotator } from '../src/vision.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, pinned: { type: 'boolean', default: false } },
});

if (!values.pinned && spawnSync('taskset', ['--version']).status === 0) {
  const args = [
    '-c',
    '0',
    process.execPath,
    ...process.execArgv,
    import.meta.filename,
    ...process.argv.slice(2),
    '--pinned',
  ];
  const run = spawnSync('taskset', args, { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

sharp.concurrency(1);
const rounds = Number(values.rounds);
const annotator = createVisionAnnotator({
  maxInputPixels: 60_000_000,
  minLabelConfidence: 0.35,
  minTextConfidence: 0.8,
  sensitiveThreshold: 0.7,
  thread: process.env.BENCH_VISION_THREAD !== 'false',
});

console.log(
  `cores available: ${availableParallelism()}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const loadStart = performance.now();
if (!(await annotator.ready())) throw new Error('the vision models did not load');
const loadMs = performance.now() - loadStart;
console.log(
  `model load: ${Math.round(loadMs)} ms (CenterNet, BlazeFace, nsfwjs, PaddleOCR); RSS ${mb(process.memoryUsage().rss)}`,
);

const images = await Promise.all(
  ACCEPTED_FIXTURES.map(async (f) => ({
    name: f.name,
    bytes: new Uint8Array(await readFile(fixturePath(f.name))),
  })),
);
const all: number[] = [];
const perImage = new Map<string, { times: number[]; found: string }>();
for (let round = 0; round < rounds; round++) {
  for (const image of images) {
    const started = performance.now();
    const found = await annotator.describe(await checkOriginal(image.bytes));
    const ms = performance.now() - started;
    all.push(ms);
    const entry = perImage.get(image.name) ?? { times: [], found: '' };
    entry.times.push(ms);
    entry.found = `${(found.tags ?? []).map((t) => `${t.label} ${t.confidence}`).join(', ')}${
      found.textInImage
        ? `; text: ${JSON.stringify(found.textInImage.replace(/\n/g, ' / ')).slice(0, 60)}`
        : ''
    }`;
    perImage.set(image.name, entry);
  }
}

console.log('\n| image | median ms | found |\n| --- | ---: | --- |');
for (const [name, { times, found }] of perImage)
  console.log(`| ${name} | ${Math.round(quantile(times, 0.5))} | ${found} |`);
console.log(
  `\n${all.length} annotations on one core: median ${Math.round(quantile(all, 0.5))} ms, p95 ${Math.round(quantile(all, 0.95))} ms; ` +
    `model load ${Math.round(loadMs)} ms; peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`,
);

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}
