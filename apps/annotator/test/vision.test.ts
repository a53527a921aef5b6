import { BroadcastChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnnotator, createVisionAnnotator, VISION_MARKER } from '../src/index.ts';
import { refuseNetwork } from './refuse-network.ts';
import { checkedFixture, settingsFrom } from './support.ts';
import { NETWORK_CHANNEL } from './threads/channels.ts';

/**
 * The offline vision annotator on the shared fixtures, with outbound connections refused: every
 * socket connection and fetch from this process is refused and recorded, in the test's thread and
 * in the models' worker thread (a module preloaded there reports on a BroadcastChannel), and the
 * test fails if any was tried. (`pnpm --filter @annot/annotator test:offline` also runs this file
 * in a network namespace with no interface but a downed loopback, via `unshare -rn`.)
 */
const attempts: string[] = [];
/** Resolves when the thread's preload reports it refuses the network (messages across threads arrive in their own time). */
let armed = () => {};
const threadArmed = new Promise<void>((resolve) => {
  armed = resolve;
});
let restore = () => {};
const channel = new BroadcastChannel(NETWORK_CHANNEL);

beforeAll(() => {
  restore = refuseNetwork((attempt) => attempts.push(attempt));
  channel.onmessage = (event) => {
    const data = (event as unknown as { data: { armed?: true; attempt?: string } }).data;
    if (data.armed) armed();
    if (data.attempt) attempts.push(`vision thread: ${data.attempt}`);
  };
});

afterAll(async () => {
  restore();
  channel.close();
  await annotator.close();
  await strict.close();
});

const settings = settingsFrom({});
const options = (thresholds: typeof settings) => ({
  maxInputPixels: thresholds.maxInputPixels,
  minLabelConfidence: thresholds.minLabelConfidence,
  minTextConfidence: thresholds.minTextConfidence,
  sensitiveThreshold: thresholds.sensitiveThreshold,
  threadOptions: { execArgv: ['--import', new URL('./threads/refuse-network.ts', import.meta.url).href] },
});
// The settings createAnnotator uses, with the network refused in the models' thread too.
const annotator = createVisionAnnotator(options(settings));
const strict = createVisionAnnotator(options(settingsFrom({ VISION_LABEL_THRESHOLD: '0.99' })));

describe('the offline vision annotator (the default without a Gemini key)', () => {
  it('is the embedded default, and loads its models without the network', { timeout: 120_000 }, async () => {
    expect(createAnnotator(settings)).toMatchObject({ name: 'local', model: 'local-vision-v1' });
    expect(annotator).toMatchObject({ name: 'local', model: 'local-vision-v1' });
    expect(await annotator.ready()).toBe(true);
    await threadArmed;
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
    const found = await strict.describe(await checkedFixture('Channel_digital_image_CMYK_color.jpg'));
    expect(found?.textInImage).toBeNull();
    expect(found?.tags?.filter((t) => t.source === 'centernet')).toEqual([]);
    expect(found?.annotation).toContain('no object the models recognise');
    expect(attempts).toEqual([]);
  });
});
