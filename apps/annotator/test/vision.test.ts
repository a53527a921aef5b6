import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnnotator, type createVisionAnnotator, VISION_MARKER } from '../src/index.ts';
import { checkedFixture, settingsFrom } from './support.ts';

/**
 * The offline vision annotator on the shared fixtures, with outbound connections refused: every
 * socket connection and fetch from this process is refused and recorded, and the test fails if
 * any was tried. (`pnpm --filter @annot/annotator test:offline` also runs this file in a network
 * namespace with no interface but a downed loopback, via `unshare -rn`.)
 */
const attempts: string[] = [];
const originalConnect = net.Socket.prototype.connect;
const originalFetch = globalThis.fetch;

beforeAll(() => {
  net.Socket.prototype.connect = function refused(this: net.Socket, ...args: unknown[]) {
    const target = args[0];
    // Unix sockets and pipes (IPC with the test runner) are local, not outbound.
    if (typeof target === 'string' || (typeof target === 'object' && target && 'path' in target)) {
      return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    }
    attempts.push(`connect ${JSON.stringify(target)}`);
    queueMicrotask(() =>
      this.destroy(Object.assign(new Error('outbound connection refused by test'), { code: 'ECONNREFUSED' })),
    );
    return this;
  } as typeof net.Socket.prototype.connect;
  globalThis.fetch = (async (input: unknown) => {
    attempts.push(`fetch ${String(input)}`);
    throw new TypeError('fetch refused by test');
  }) as typeof fetch;
});

afterAll(() => {
  net.Socket.prototype.connect = originalConnect;
  globalThis.fetch = originalFetch;
});

describe('the offline vision annotator (the default without a Gemini key)', () => {
  const annotator = createAnnotator(settingsFrom({}));

  it('is the embedded default, and loads its models without the network', { timeout: 120_000 }, async () => {
    expect(annotator).toMatchObject({ name: 'local', model: 'local-vision-v1' });
    expect(await (annotator as ReturnType<typeof createVisionAnnotator>).ready()).toBe(true);
    expect(attempts).toEqual([]);
  });

  it('tags the dog in Channel_digital_image_CMYK_color.jpg', { timeout: 60_000 }, async () => {
    const found = await annotator.describe(await checkedFixture('Channel_digital_image_CMYK_color.jpg'));
    expect(found?.tags).toContainEqual({ label: 'dog', confidence: expect.any(Number), source: 'centernet' });
    for (const tag of found?.tags ?? []) {
      expect(tag.label).toMatch(/^[a-z][a-z ]{0,63}$/);
      expect(tag.confidence).toBeGreaterThanOrEqual(0.35);
      expect(tag.confidence).toBeLessThanOrEqual(1);
    }
    expect(found?.annotation?.startsWith(`${VISION_MARKER} a photo of `)).toBe(true);
    expect(found?.annotation).toMatch(/\ba dog\b/);
    expect(found?.safety).toBe('safe');
    expect(attempts).toEqual([]);
  });

  it('reads BLACK on the saw in 2569067123_aca715a2ee_o.jpg', { timeout: 60_000 }, async () => {
    const found = await annotator.describe(await checkedFixture('2569067123_aca715a2ee_o.jpg'));
    expect(found?.textInImage).toContain('BLACK');
    expect(found?.annotation).toContain('The text reads "');
    expect(found?.annotation).toContain('BLACK');
    expect(attempts).toEqual([]);
  });

  it('finds no text where there is none, and drops labels under the threshold', {
    timeout: 60_000,
  }, async () => {
    const strict = createAnnotator(settingsFrom({ VISION_LABEL_THRESHOLD: '0.99' }));
    const found = await strict.describe(await checkedFixture('Channel_digital_image_CMYK_color.jpg'));
    expect(found?.textInImage).toBeNull();
    expect(found?.tags?.filter((t) => t.source === 'centernet')).toEqual([]);
    expect(found?.annotation).toContain('no object the models recognise');
    expect(attempts).toEqual([]);
  });
});
