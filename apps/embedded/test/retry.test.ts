import { readFile } from 'node:fs/promises';
import { loadConfig } from '@annot/config';
import { thumbnailKeyFor } from '@annot/object-keys';
import { distinctCopy, fixturePath } from '@annot/testing';
import { setStagePending } from '@annot/worker-runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startDevSystem, waitUntilSettled } from './system.ts';

let uploads = 0;

/** Uploads a distinct copy of a fixture (the same bytes twice would be one image). */
async function upload(url: string): Promise<number> {
  const form = new FormData();
  const bytes = distinctCopy(await readFile(fixturePath('Landscape_1.jpg')), `retry ${++uploads}`);
  form.append('image', new Blob([bytes]), 'Landscape_1.jpg');
  const response = await fetch(`${url}/upload`, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
  });
  expect(response.status).toBe(201);
  const { images } = (await response.json()) as { images: { id: number }[] };
  return images[0]!.id;
}

describe('a retry in the embedded system', () => {
  let running: RunningSystem;
  beforeAll(async () => {
    running = await startDevSystem();
  });
  afterAll(() => running?.stop());

  it('runs a failed stage that was set back to pending again, through the local bus', async () => {
    const { system, url, dataDir } = running;
    const id = await upload(url);
    await waitUntilSettled(url, [id]);
    const before = (await system.repository.getById(id))!;
    const key = before.originalKey;
    expect(before).toMatchObject({ thumbnailStatus: 'completed', annotationStatus: 'completed' });

    // The thumbnail stage failed (its thumbnail is gone), and a retry sets it back to pending.
    await system.storage.thumbnails.delete(thumbnailKeyFor(key));
    await system.repository.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'It went wrong.' });
    await setStagePending({ config: loadConfig({ DATA_DIR: dataDir }) }, key, 'thumbnail');

    await system.requestStage(key, 'thumbnail');
    const [settled] = await waitUntilSettled(url, [id]);

    expect(settled).toMatchObject({ thumbnailStatus: 'completed', annotationStatus: 'completed' });
    expect(await system.storage.thumbnails.head(thumbnailKeyFor(key))).not.toBeNull();
    const after = (await system.repository.getById(id))!;
    expect(after).toMatchObject({ thumbnailError: null, annotation: before.annotation });
  });

  it('sends a retry of one stage to that stage only', async () => {
    const { system, url, dataDir } = running;
    const id = await upload(url);
    await waitUntilSettled(url, [id]);
    const key = (await system.repository.getById(id))!.originalKey;

    // Both stages pending, and a retry of the thumbnail only: the thumbnailer runs, the annotator
    // is not asked (its stage stays pending until its own retry).
    const config = loadConfig({ DATA_DIR: dataDir });
    await setStagePending({ config }, key, 'annotation');
    await setStagePending({ config }, key, 'thumbnail');
    await system.requestStage(key, 'thumbnail');
    await expect
      .poll(async () => (await system.repository.getById(id))?.thumbnailStatus, { timeout: 30_000 })
      .toBe('completed');
    expect((await system.repository.getById(id))?.annotationStatus).toBe('pending');

    await system.requestStage(key, 'annotation');
    const [settled] = await waitUntilSettled(url, [id]);
    expect(settled).toMatchObject({ annotationStatus: 'completed' });
  });
});
