import { readFile } from 'node:fs/promises';
import { distinctCopy, fixturePath } from '@annot/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.ts';
import { type RunningSystem, startDevSystem } from './system.ts';

/** Holds every worker run until `open()`: the pages are loaded while the image is pending. */
class Gate {
  #open!: () => void;
  readonly #opened = new Promise<void>((resolve) => {
    this.#open = resolve;
  });
  open(): void {
    this.#open();
  }
  around = async (_target: string, run: () => Promise<void>): Promise<void> => {
    await this.#opened;
    await run();
  };
}

let uploads = 0;

async function upload(url: string): Promise<number> {
  const form = new FormData();
  const bytes = distinctCopy(await readFile(fixturePath('Landscape_1.jpg')), `live ${++uploads}`);
  form.append('image', new Blob([bytes], { type: 'image/jpeg' }), 'Landscape_1.jpg');
  const response = await fetch(`${url}/upload`, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { images: { id: number }[] }).images[0]!.id;
}

/** The page's requests to the status poll and to the status stream, and its console errors. */
function watchPage(page: Page) {
  const polls: string[] = [];
  const streams: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/images/status')) polls.push(request.url());
    if (request.url().includes('/api/images/events')) streams.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { polls, streams, problems };
}

describe('live statuses in headless Chromium', () => {
  let browser: Browser;
  let running: RunningSystem | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterEach(async () => {
    // The pages leave first, as their users would: an open page's requests (a stream reconnecting,
    // the cards' poll) would otherwise hold the server's close, which this test helper does not cut
    // short the way the production shutdown's deadline does.
    for (const context of browser.contexts()) await context.close();
    await running?.stop();
    running = undefined;
  });
  afterAll(() => browser?.close());

  it('turns the gallery card and the image page completed from the pushed stream, never polling', async () => {
    const gate = new Gate();
    // A day between polls, and ten minutes between the stream's own database checks: only the
    // local workers' push (the moment they record a stage) can update the pages in this test.
    running = await startDevSystem(
      { STATUS_POLL_MS: '86400000', STATUS_STREAM_CHECK_MS: '600000' },
      undefined,
      { aroundDelivery: gate.around },
    );
    const { url } = running;
    const id = await upload(url);

    const gallery = await browser.newPage();
    const galleryLog = watchPage(gallery);
    await gallery.goto(`${url}/gallery`);
    const card = gallery.locator(`.card[data-id="${id}"]`);
    expect(await card.getAttribute('data-pending')).not.toBeNull();
    expect(await card.locator('.badge[data-stage="annotation"]').getAttribute('data-status')).toBe('pending');

    const imagePage = await browser.newPage();
    const imageLog = watchPage(imagePage);
    await imagePage.goto(`${url}/images/${id}`);
    expect(await imagePage.locator('.image-page').getAttribute('data-pending')).not.toBeNull();
    // Both pages have their stream open before the workers run.
    await waitForStreams(running, 2);

    gate.open();

    await card.and(gallery.locator('.card:not([data-pending])')).waitFor({ timeout: 20_000 });
    expect(await card.locator('.badge[data-stage="thumbnail"]').getAttribute('data-status')).toBe(
      'completed',
    );
    expect(await card.locator('.badge[data-stage="annotation"]').getAttribute('data-status')).toBe(
      'completed',
    );
    await card.locator('.thumb img').waitFor();
    expect(await card.locator('.annotation-text').textContent()).not.toBe('');

    // The image page reloads once both stages are settled, and shows them completed.
    await imagePage.locator('.image-page:not([data-pending])').waitFor({ timeout: 20_000 });
    expect(
      await imagePage
        .locator('.badge')
        .evaluateAll((badges) => badges.map((b) => b.getAttribute('data-status'))),
    ).toEqual(['completed', 'completed']);

    // After `done` the server ends both streams, and neither page takes that end for a drop: no
    // reconnect, no poll.
    while (running.system.statusStreams.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(galleryLog.streams).toHaveLength(1);
    expect(galleryLog.polls).toEqual([]);
    expect(imageLog.polls).toEqual([]);
    expect([...galleryLog.problems, ...imageLog.problems]).toEqual([]);
  });

  it('falls back to polling when the server opens no stream', async () => {
    const gate = new Gate();
    running = await startDevSystem({ STATUS_POLL_MS: '200', STATUS_STREAM_MAX_CONNECTIONS: '0' }, undefined, {
      aroundDelivery: gate.around,
    });
    const { url } = running;
    const id = await upload(url);
    const gallery = await browser.newPage();
    const log = watchPage(gallery);
    await gallery.goto(`${url}/gallery`);
    const card = gallery.locator(`.card[data-id="${id}"]`);
    expect(await card.getAttribute('data-pending')).not.toBeNull();

    gate.open();

    await card.and(gallery.locator('.card:not([data-pending])')).waitFor({ timeout: 20_000 });
    expect(await card.locator('.badge[data-stage="annotation"]').getAttribute('data-status')).toBe(
      'completed',
    );
    expect(log.polls.length).toBeGreaterThan(0);
    expect(log.problems).toEqual([]);
  });

  it('falls back to polling when its stream is refused (the server has its most streams open)', async () => {
    const gate = new Gate();
    running = await startDevSystem({ STATUS_POLL_MS: '200', STATUS_STREAM_MAX_CONNECTIONS: '1' }, undefined, {
      aroundDelivery: gate.around,
    });
    const { url } = running;
    const id = await upload(url);
    // The image page takes the one stream.
    const imagePage = await browser.newPage();
    await imagePage.goto(`${url}/images/${id}`);
    await waitForStreams(running, 1);

    const gallery = await browser.newPage();
    const log = watchPage(gallery);
    const refused = gallery.waitForResponse(
      (r) => r.url().includes('/api/images/events') && r.status() === 503,
    );
    await gallery.goto(`${url}/gallery`);
    await refused;
    const card = gallery.locator(`.card[data-id="${id}"]`);
    expect(await card.getAttribute('data-pending')).not.toBeNull();

    gate.open();

    await card.and(gallery.locator('.card:not([data-pending])')).waitFor({ timeout: 20_000 });
    expect(await card.locator('.badge[data-stage="annotation"]').getAttribute('data-status')).toBe(
      'completed',
    );
    expect(log.polls.length).toBeGreaterThan(0);
    await imagePage.locator('.image-page:not([data-pending])').waitFor({ timeout: 20_000 });
  });
});

/** Waits until the server has `count` status streams open (the pages' EventSources connected). */
async function waitForStreams(running: RunningSystem, count: number): Promise<void> {
  while (running.system.statusStreams.size < count) await new Promise((resolve) => setTimeout(resolve, 10));
}
