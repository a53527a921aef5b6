import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const probe = fileURLToPath(new URL('./probe/peak-rss.ts', import.meta.url));
const FULL_FRAME_KB = (4000 * 3000 * 3) / 1024; // one decoded 12 MP RGB frame

async function peakGrowthKb(file: string, mode: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--expose-gc', probe, file, mode]);
  return (JSON.parse(stdout) as { grewKb: number }).grewKb;
}

// Evidence by memory, not time: a fresh process's peak RSS while thumbnailing a 12 MP JPEG,
// against the same process decoding it at full size.
describe('shrink-on-load', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'thumbnailer-sol-'));
    file = path.join(dir, '12mp.jpg');
    const noise = { type: 'gaussian', mean: 128, sigma: 40 } as const;
    await writeFile(
      file,
      await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise } })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('thumbnails a 12 MP JPEG without decoding it at full size', async () => {
    const thumbnail = await peakGrowthKb(file, 'thumbnail');
    const control = await peakGrowthKb(file, 'full-decode');
    // The control shows the measure sees a full-size decode (libvips streams it, so it holds
    // strips, not the whole 35 MB frame) ...
    expect(control).toBeGreaterThan(FULL_FRAME_KB / 4);
    // ... and the thumbnail, decoded at 1/8 scale by libjpeg, stays far below both.
    expect(thumbnail).toBeLessThan(FULL_FRAME_KB / 8);
    expect(thumbnail).toBeLessThan(control / 3);
    // Two child processes decoding 12 MP: a few seconds on a busy 2-core machine, not a figure.
  }, 60_000);
});
