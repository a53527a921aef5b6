import { readFileSync } from 'node:fs';
import { distinctCopy, fixturePath } from '@annot/testing';
import { expect, it } from 'vitest';
import { describeEachBackend, postUpload, type TestApp, webBackends } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
let copies = 0;

const BACKENDS = await webBackends('pagination');

async function upload(t: TestApp, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const name = `page-${++copies}.jpg`;
    const response = await postUpload(t.app, [{ filename: name, content: distinctCopy(jpeg, name) }]);
    expect(response.statusCode).toBe(201);
    ids.push(response.json().images[0].id);
  }
  return ids;
}

async function page(t: TestApp, cursor: string | null, limit: number) {
  const query = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
  const response = await t.app.inject(`/api/images?limit=${limit}${query}`);
  expect(response.statusCode).toBe(200);
  const body = response.json() as { images: { id: number }[]; nextCursor: string | null };
  return { ids: body.images.map((image) => image.id), nextCursor: body.nextCursor };
}

describeEachBackend(BACKENDS)('paging through the images while others upload, on $name', (backend) => {
  it('sees every image that existed at the first page exactly once, newest first, and the new ones on a new first page', async () => {
    // No page cache: each request reads the database.
    const { app: t, stop } = await backend.start({ GALLERY_CACHE_MS: '0' });
    try {
      // Uploaded back to back: several share a timestamp, so the order and the cursor rest on the id too.
      const existing = (await upload(t, 8)).reverse();

      const seen: number[] = [];
      let { ids, nextCursor } = await page(t, null, 3);
      seen.push(...ids);
      const arrived: number[] = [];
      while (nextCursor !== null) {
        // Between two page fetches, more images arrive.
        arrived.push(...(await upload(t, 2)));
        ({ ids, nextCursor } = await page(t, nextCursor, 3));
        seen.push(...ids);
      }

      // No duplicate, no skip, in order: the list as it was when the first page was read.
      expect(seen).toEqual(existing);
      // The new arrivals are newer than all of them: a new first page starts with them.
      expect((await page(t, null, arrived.length)).ids).toEqual([...arrived].reverse());
    } finally {
      await stop();
    }
  });
});
