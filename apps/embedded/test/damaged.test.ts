import { damagedImages, LIBRARY_WORDS } from '@annot/testing';
import type { StatusJson } from '@annot/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startDevSystem, waitUntilSettled } from './system.ts';

const EXTENSIONS = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', avif: 'avif' } as const;

/**
 * Every broken file, through the whole system as a user sends it: each ends as a refusal at the
 * upload (4xx) or as `failed` in both stages, and what the gallery shows names no library.
 */
describe('truncated and corrupt images, end to end', () => {
  let running: RunningSystem;
  const accepted: { id: number; name: string }[] = [];
  beforeAll(async () => {
    running = await startDevSystem();
  });
  afterAll(() => running.stop());

  it.each(damagedImages().map((d) => [d.name, d] as const))('%s is refused or fails', async (name, image) => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(image.bytes)]), `broken.${EXTENSIONS[image.format]}`);
    const response = await fetch(`${running.url}/upload`, {
      method: 'POST',
      body: form,
      headers: { accept: 'application/json' },
    });
    const body = (await response.json()) as { images?: { id: number }[]; message?: string };
    if (response.status === 201) {
      // Only damage a decoder alone can see gets past the upload check.
      expect(image.caughtBy).toBe('decoder');
      accepted.push({ id: body.images![0]!.id, name });
    } else {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(body.message).not.toMatch(LIBRARY_WORDS);
    }
  });

  it('records the accepted ones as failed in both stages, in plain words', async () => {
    // A damaged AVIF item location and a damaged WebP frame header pass the upload check.
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    const settled: StatusJson[] = await waitUntilSettled(
      running.url,
      accepted.map((a) => a.id),
    );
    for (const status of settled) {
      const what = accepted.find((a) => a.id === status.id)?.name;
      expect(status, what).toMatchObject({ thumbnailStatus: 'failed', annotationStatus: 'failed' });
      for (const reason of [status.thumbnailError, status.annotationError]) {
        expect(reason, what).toMatch(/^The file is (incomplete|damaged|not a readable image)/);
        expect(reason, what).not.toMatch(LIBRARY_WORDS);
      }
    }
    const gallery = await (await fetch(`${running.url}/gallery`)).text();
    expect(gallery).not.toMatch(/vips|libpng|heif|gifload|Input buffer/i);
  });
});
