import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fixturePath } from '@annot/testing';
import { describe, expect, it } from 'vitest';
import { exposedGc, UploadReclaimer } from '../src/upload/reclaim.ts';
import { buildTestApp, postUpload } from './helper.ts';

describe('UploadReclaimer', () => {
  it('collects once per everyBytes of bodies received, on the next turn', async () => {
    const collections: unknown[] = [];
    const reclaimer = new UploadReclaimer({ everyBytes: 100, collect: (o) => collections.push(o) });

    reclaimer.received(60);
    await nextTurn();
    expect(collections).toEqual([]);

    reclaimer.received(60);
    expect(collections).toEqual([]); // not inside the stream's own turn
    await nextTurn();
    expect(collections).toEqual([{ type: 'minor' }]);

    for (let i = 0; i < 5; i++) reclaimer.received(100); // one turn: one collection
    await nextTurn();
    expect(collections).toHaveLength(2);
  });

  it('does nothing without a collector', () => {
    expect(() => new UploadReclaimer({ collect: null }).received(1e9)).not.toThrow();
  });

  it("gets V8's gc without putting it on the global object", () => {
    const hadGlobal = typeof (globalThis as { gc?: unknown }).gc === 'function';
    const gc = exposedGc();

    expect(gc).toBeTypeOf('function');
    expect(() => gc!({ type: 'minor' })).not.toThrow();
    expect(typeof (globalThis as { gc?: unknown }).gc === 'function').toBe(hadGlobal);
  });

  it('is told of every byte of an uploaded file', async () => {
    const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
    let bytes = 0;
    const counting = new UploadReclaimer({ everyBytes: 1, collect: () => {} });
    const received = counting.received.bind(counting);
    counting.received = (n: number) => {
      bytes += n;
      received(n);
    };
    const t = await buildTestApp({}, {}, { reclaimer: counting });
    try {
      const response = await postUpload(t.app, [{ filename: 'a.jpg', content: jpeg }]);
      expect(response.statusCode).toBe(201);
      expect(bytes).toBe(jpeg.byteLength);
    } finally {
      await t.close();
    }
  });
});
