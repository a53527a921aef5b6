import path from 'node:path';
import { fixturePath } from '@annot/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium } from './chromium.ts';
import { type RunningSystem, startDevSystem } from './system.ts';

/** A latch the test opens: until then every worker delivery waits, so the pending state is there to be seen. */
function latch() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('the pages in headless Chromium', () => {
  let running: RunningSystem;
  let browser: Browser;
  const workers = latch();

  beforeAll(async () => {
    running = await startDevSystem({}, undefined, {
      aroundDelivery: async (_target, run) => {
        await workers.opened;
        await run();
      },
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    workers.open(); // a failed test must not leave deliveries waiting on the shutdown
    await browser?.close();
    await running?.stop();
  });

  it('uploads through the page, then watches the gallery go from pending to completed without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    // Upload page: two images picked at once, and one refused file dropped on the zone.
    await page.goto(`${running.url}/`);
    await page.setInputFiles('#file-input', [fixturePath('Landscape_1.jpg'), fixturePath('flowers.jpeg')]);
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['not an image at all'], 'notes.jpg', { type: 'image/jpeg' }));
      document
        .getElementById('dropzone')!
        .dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await page.locator('.upload-item[data-state="done"]').nth(1).waitFor({ timeout: 20_000 });
    await page.locator('.upload-item[data-state="refused"]').waitFor({ timeout: 20_000 });
    expect(
      await page
        .locator('.upload-item[data-state="done"] .progress')
        .evaluateAll((bars) => bars.map((b) => b.getAttribute('aria-valuenow'))),
    ).toEqual(['100', '100']);
    expect(await page.locator('.upload-item[data-state="refused"] .upload-message').textContent()).toMatch(
      /"notes\.jpg" is not a supported image/,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'upload.png'), fullPage: true });

    // Gallery: both pending at first, then completed in place.
    await page.goto(`${running.url}/gallery`);
    await page.evaluate(() => {
      (window as unknown as { loadedOnce: boolean }).loadedOnce = true;
    });
    const cards = page.locator('.card');
    expect(await cards.count()).toBe(2);
    expect(
      await page.locator('.card[data-pending] .badge[data-status="pending"]').count(),
    ).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.card .placeholder[data-state="pending"]').count()).toBe(2);

    // Now the workers may run: the page must notice on its own.
    workers.open();

    await page.waitForFunction(
      () =>
        document.querySelectorAll('.card').length === 2 &&
        document.querySelectorAll('.card[data-pending]').length === 0 &&
        document.querySelectorAll('.thumb img').length === 2 &&
        [...document.querySelectorAll<HTMLImageElement>('.thumb img')].every(
          (img) => img.complete && img.naturalWidth > 0,
        ),
      undefined,
      { timeout: 30_000, polling: 200 },
    );
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    expect(await page.locator('.badge[data-status="completed"]').count()).toBe(4);
    expect(
      await page.locator('.annotation[data-status="completed"] .annotation-text').first().textContent(),
    ).not.toBe('');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gallery.png'), fullPage: true });

    // A click on a thumbnail lands on its card's one link to the original, stretched over it.
    const hits = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.card')].map((card) => {
        const box = card.querySelector('.thumb')!.getBoundingClientRect();
        const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
        const link = card.querySelector<HTMLAnchorElement>('a.original-link');
        return {
          linked: Boolean(link) && hit?.closest('a') === link,
          links: card.querySelectorAll('a').length,
        };
      }),
    );
    // Two links a card: the filename to the image's page, the thumbnail to the original.
    expect(hits).toEqual([
      { linked: true, links: 2 },
      { linked: true, links: 2 },
    ]);

    // Phone width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'gallery-phone.png'), fullPage: true });

    // The one 400 is the refused upload; anything else (a CSP violation, a script error) is a bug.
    expect(problems).toEqual([
      'Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
  });
});
