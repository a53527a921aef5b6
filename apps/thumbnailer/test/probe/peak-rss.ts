/**
 * Run as a child process: decodes one JPEG in the given mode and prints how much the process's
 * peak RSS grew while doing it, in kB. A fresh process per measurement, so nothing earlier in a
 * test run has already raised the peak.
 *
 *   node peak-rss.ts <file.jpg> thumbnail|full-decode
 */
import { readFile } from 'node:fs/promises';
import { checkOriginal } from '@annot/worker-runtime';
import sharp from 'sharp';
import { makeThumbnail } from '../../src/thumbnail.ts';
import { DEFAULTS } from '../default-settings.ts';

const [file, mode] = process.argv.slice(2);
if (!file || (mode !== 'thumbnail' && mode !== 'full-decode'))
  throw new Error('usage: peak-rss.ts <file> <mode>');
sharp.concurrency(1);
sharp.cache(false);
const bytes = await readFile(file);
const { width, height } = await sharp(bytes).metadata();
// Load the JPEG codec and warm libvips up before the baseline, so only the decode is measured.
await sharp(
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000' } })
    .jpeg()
    .toBuffer(),
)
  .resize(8)
  .jpeg()
  .toBuffer();

// The original's check (a JavaScript walk of the container) runs before the baseline too: it is
// not the decode, and the garbage it leaves would otherwise land in the measure whenever the
// collector runs late (as it does on a busy machine).
const checked = mode === 'thumbnail' ? await checkOriginal(bytes) : undefined;
globalThis.gc?.();
const before = process.resourceUsage().maxRSS;
if (checked) {
  await makeThumbnail(checked, DEFAULTS);
} else {
  // The control: extract() before resize() makes libvips decode every pixel at full size.
  await sharp(bytes, { sequentialRead: true })
    .extract({ left: 0, top: 0, width, height })
    .resize(128, 128, { kernel: 'lanczos3' })
    .jpeg()
    .toBuffer();
}
process.stdout.write(JSON.stringify({ mode, grewKb: process.resourceUsage().maxRSS - before }));
