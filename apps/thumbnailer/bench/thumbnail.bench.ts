/**
 * Thumbnail benchmark (a script, not a test): `pnpm bench:thumbnail [--iterations 50]`.
 *
 * Runs what the worker runs per image: checkOriginal (the type and the container walk), then
 * makeThumbnail (default settings: 128x128 cover, Lanczos3, JPEG q80), on one thread, over the
 * 2725x2225 JPEG of sharp's own benchmark and a generated 12 MP JPEG, and prints the median and
 * p95 milliseconds per thumbnail and the process's peak RSS. For each image it also times the
 * check alone and prints its share of the whole. libvips' operation cache is off, so a repeated
 * input is decoded every time, as in production.
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fixturePath } from '@annot/testing';
import { checkOriginal } from '@annot/worker-runtime';
import sharp from 'sharp';
import { makeThumbnail } from '../src/thumbnail.ts';
import { DEFAULTS } from '../test/default-settings.ts';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '50' }, warmup: { type: 'string', default: '10' } },
});
const iterations = Number(values.iterations);
const warmup = Number(values.warmup);

sharp.concurrency(1);
sharp.cache(false);

/**
 * A camera-like 12 MP JPEG: a real photo scaled to 4000x3000 with sensor-like noise blended in,
 * so that it weighs about what a phone's 12 MP JPEG does (~3 MB) and decodes like one.
 */
async function twelveMegapixelJpeg(): Promise<Buffer> {
  const noise = { type: 'gaussian', mean: 128, sigma: 24 } as const;
  return sharp(fixturePath('flowers.jpeg'))
    .resize(4000, 3000, { fit: 'fill' })
    .composite([
      {
        input: { create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise } },
        blend: 'soft-light',
      },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(run: () => Promise<unknown>, count: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

function report(name: string, bytes: Buffer, times: number[]): void {
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  console.log(
    `${name.padEnd(44)} ${(bytes.length / 1024).toFixed(0).padStart(6)} KB  n=${String(times.length).padEnd(3)} ` +
      `median ${percentile(times, 50).toFixed(2).padStart(7)} ms  p95 ${percentile(times, 95).toFixed(2).padStart(7)} ms  ` +
      `mean ${mean.toFixed(2).padStart(7)} ms`,
  );
}

const benchmark = await readFile(fixturePath('2569067123_aca715a2ee_o.jpg'));

/** What the worker runs per image, and the check alone, in the same process; prints the check's share. */
async function workerPath(name: string, bytes: Buffer): Promise<void> {
  const whole = await measure(async () => makeThumbnail(await checkOriginal(bytes), DEFAULTS), iterations);
  report(name, bytes, whole);
  const check = await measure(() => checkOriginal(bytes), iterations);
  report('  of which checkOriginal (type + container walk)', bytes, check);
  console.log(`  check / whole (medians): ${(percentile(check, 50) / percentile(whole, 50)).toFixed(3)}`);
}

console.log(
  `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, concurrency ${sharp.concurrency()}, ` +
    `node ${process.version}, ${iterations} iterations after ${warmup} warm-up, ` +
    `load average ${loadavg()[0]!.toFixed(2)}`,
);
await workerPath('2569067123_aca715a2ee_o.jpg (2725x2225)', benchmark);
const peakAfterBenchmarkImage = process.resourceUsage().maxRSS;
const generated = await twelveMegapixelJpeg();
await workerPath('generated 12 MP JPEG (4000x3000)', generated);

// For scale: the same 12 MP file when shrink-on-load is defeated (extract() before resize()).
const full = () =>
  sharp(generated, { sequentialRead: true })
    .extract({ left: 0, top: 0, width: 4000, height: 3000 })
    .resize(128, 128, { kernel: 'lanczos3' })
    .jpeg({ quality: 80 })
    .toBuffer();
report('reference: 12 MP decoded at full size', generated, await measure(full, Math.min(iterations, 10)));

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')} (1, 5, 15 min)`,
);
console.log(
  `peak RSS: ${mb(peakAfterBenchmarkImage)} after the 2725x2225 runs; ${mb(process.resourceUsage().maxRSS)} overall`,
);
