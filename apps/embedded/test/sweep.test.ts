import { readFileSync } from 'node:fs';
import { loadConfig } from '@annot/config';
import { uploadKey } from '@annot/object-keys';
import { createStorage } from '@annot/storage';
import { fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startDevSystem, waitUntilSettled } from './system.ts';

/**
 * The embedded system's own sweep puts right what a crash leaves: the event of an upload that was
 * stored while the process died is raised again on the bus, and the workers finish it.
 */
describe('the embedded system sweeps', () => {
  let running: RunningSystem;
  beforeAll(async () => {
    running = await startDevSystem({ STALE_UPLOAD_MS: '1000', SWEEP_INTERVAL_MS: '200' });
  });
  afterAll(() => running.stop());

  it('finishes an image whose event was lost, and removes a row whose original never arrived', async () => {
    const { repository } = running.system;
    // Written beside the running system, not through it: no event is raised, as when the
    // process died between storing the original and its event reaching the workers.
    const config = loadConfig({ DATA_DIR: running.dataDir });
    const bare = createStorage(config.storage, config.presign);
    const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
    const lost = uploadKey('lost-event.jpg');
    await bare.originals.put(lost, jpeg, { contentType: 'image/jpeg' });
    const row = await repository.createPending({
      filename: 'lost-event.jpg',
      originalKey: lost,
      contentType: 'image/jpeg',
      byteSize: jpeg.length,
      width: 600,
      height: 450,
    });
    const crashed = uploadKey('crashed.jpg');
    await repository.createPending({
      filename: 'crashed.jpg',
      originalKey: crashed,
      contentType: 'image/jpeg',
      byteSize: null,
      width: 600,
      height: 450,
    });

    const [settled] = await waitUntilSettled(running.url, [row.id], 20_000);
    expect(settled).toMatchObject({ thumbnailStatus: 'completed', annotationStatus: 'completed' });
    for (let i = 0; i < 50 && (await repository.getByOriginalKey(crashed)) !== null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await repository.getByOriginalKey(crashed)).toBeNull();
  });
});
