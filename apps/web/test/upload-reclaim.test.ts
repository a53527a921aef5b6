import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fixturePath } from '@annot/testing';
import { describe, expect, it } from 'vitest';
import { UploadReclaimer } from '../src/upload/reclaim.ts';
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

  it('does nothing without a collector, even when V8 exposes gc: no collection, nothing scheduled', async () => {
    const exposed = globalThis.gc;
    const calls: unknown[] = [];
    globalThis.gc = ((options?: unknown) => void calls.push(options)) as typeof globalThis.gc;
    try {
      const immediates = () => process.getActiveResourcesInfo().filter((type) => type === 'Immediate').length;
      const before = immediates();
      const reclaimer = new UploadReclaimer({ collect: null, everyBytes: 1 });

      reclaimer.received(1e9);
      expect(immediates()).toBe(before);
      await nextTurn();
      reclaimer.received(1e9);
      await nextTurn();

      expect(calls).toEqual([]);
    } finally {
      globalThis.gc = exposed;
    }
  });

  it('says once, when it is made, that there is nothing to collect with', () => {
    const warnings: string[] = [];
    const reclaimer = new UploadReclaimer({ collect: null, log: { warn: (m) => warnings.push(m) } });
    reclaimer.received(1e9);
    new UploadReclaimer({ collect: () => {}, log: { warn: (m) => warnings.push(m) } });

    expect(warnings).toEqual([expect.stringContaining('--expose-gc')]);
  });

  it.each([
    [['--expose-gc'], 'function'],
    [[], 'null'],
  ])("takes V8's gc from node %j (never by changing V8 flags at run time)", (flags, expected) => {
    const module = new URL('../src/upload/reclaim.ts', import.meta.url).href;
    const script = `const { exposedGc } = await import(${JSON.stringify(module)});
      const gc = exposedGc();
      if (gc) gc({ type: 'minor' });
      console.log(gc === null ? 'null' : gc === globalThis.gc ? typeof gc : 'other');`;
    const output = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(output.trim()).toBe(expected);
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
