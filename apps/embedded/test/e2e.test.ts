import { readFileSync } from 'node:fs';
import { ACCEPTED_FIXTURES, fixturePath } from '@annot/testing';
import type { StatusJson } from '@annot/web';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startDevSystem, waitUntilSettled } from './system.ts';

const THUMBNAIL = 128;

describe('the dev system end to end, over HTTP', () => {
  let running: RunningSystem;
  let uploaded: { id: number; filename: string }[];
  let settled: StatusJson[];

  beforeAll(async () => {
    // inside: the whole picture fits the box, so a thumbnail's aspect ratio shows its orientation.
    // The embedded default annotator: the offline vision models.
    running = await startDevSystem({
      LOCAL_ANNOTATOR: 'vision',
      THUMBNAIL_FIT: 'inside',
      THUMBNAIL_WIDTH: String(THUMBNAIL),
      THUMBNAIL_HEIGHT: String(THUMBNAIL),
    });
  });
  afterAll(() => running.stop());

  it('accepts every accepted fixture image in one multipart upload', async () => {
    const form = new FormData();
    for (const fixture of ACCEPTED_FIXTURES) {
      form.append(
        'image',
        new Blob([readFileSync(fixturePath(fixture.name))], { type: fixture.type }),
        fixture.name,
      );
    }
    const response = await fetch(`${running.url}/upload`, {
      method: 'POST',
      body: form,
      headers: { accept: 'application/json' },
    });

    expect(response.status).toBe(201);
    const body = (await response.json()) as {
      images: { id: number; filename: string }[];
      refused: unknown[];
    };
    expect(body.refused).toEqual([]);
    expect(body.images.map((i) => i.filename)).toEqual(ACCEPTED_FIXTURES.map((f) => f.name));
    uploaded = body.images;
  });

  // The vision models load on the first image (seconds), then OCR reads the large saw photo.
  it('completes both stages for every image', { timeout: 180_000 }, async () => {
    settled = await waitUntilSettled(
      running.url,
      uploaded.map((i) => i.id),
      170_000,
    );

    for (const status of settled) {
      expect(status, `image ${status.id}`).toMatchObject({
        thumbnailStatus: 'completed',
        annotationStatus: 'completed',
      });
      expect(status.annotation?.length).toBeGreaterThan(20);
      expect(status.thumbnailUrl).toMatch(/^\/files\/thumbnails\/thumbnails\//);
    }
  });

  it('describes the content with the offline vision models: the dog, and the text on the saw', () => {
    const byName = (name: string) =>
      settled.find((s) => uploaded.find((u) => u.id === s.id)?.filename === name);
    const dog = byName('Channel_digital_image_CMYK_color.jpg');
    expect(dog?.annotation).toMatch(/^Local vision models \(offline\): a photo of .*\ba dog\b/);
    expect(byName('2569067123_aca715a2ee_o.jpg')?.annotation).toContain('BLACK');
  });

  it('serves each thumbnail as a real JPEG that fits the configured box', async () => {
    for (const status of settled) {
      const response = await fetch(`${running.url}${status.thumbnailUrl}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(meta.format).toBe('jpeg');
      expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(THUMBNAIL);
      // Upright pixels: the rotation was applied, not left to an EXIF tag.
      expect(meta.orientation ?? 1).toBe(1);
    }
  });

  it.each([
    ['Landscape_1.jpg', 'landscape'],
    ['Landscape_6.jpg', 'landscape'],
    ['Portrait_8.jpg', 'portrait'],
  ])('turns %s upright by its EXIF orientation (%s)', async (name, shape) => {
    const id = uploaded.find((i) => i.filename === name)!.id;
    const status = settled.find((s) => s.id === id)!;
    const meta = await sharp(
      Buffer.from(await (await fetch(`${running.url}${status.thumbnailUrl}`)).arrayBuffer()),
    ).metadata();

    expect(Math.max(meta.width, meta.height)).toBe(THUMBNAIL);
    if (shape === 'landscape') expect(meta.width).toBeGreaterThan(meta.height);
    else expect(meta.height).toBeGreaterThan(meta.width);
  });

  it('lists every image, with its thumbnail, in the gallery HTML', async () => {
    const response = await fetch(`${running.url}/gallery`, { headers: { accept: 'text/html' } });
    const html = await response.text();

    expect(response.status).toBe(200);
    for (const { filename } of uploaded) expect(html).toContain(`<h2 class="filename" title="${filename}">`);
    for (const status of settled) expect(html).toContain(`<img src="${status.thumbnailUrl}"`);
    expect(html).not.toContain('data-pending');
  });
});
