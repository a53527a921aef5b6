import { readFileSync } from 'node:fs';
import path from 'node:path';
import { searchText } from '@annot/db';
import { damagedImages, fixturePath } from '@annot/testing';
import type { ImageJson } from '@annot/web';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium } from './chromium.ts';
import { type RunningSystem, startDevSystem, waitUntilSettled } from './system.ts';

/** Uploads bytes as the page's script does; the new image's id, or null when refused. */
async function upload(url: string, filename: string, bytes: Buffer): Promise<number | null> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)]), filename);
  const response = await fetch(`${url}/upload`, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
  });
  if (response.status !== 201) return null;
  return ((await response.json()) as { images: { id: number }[] }).images[0]!.id;
}

async function api(url: string, query: string): Promise<ImageJson[]> {
  return ((await (await fetch(`${url}/api/images?${query}`)).json()) as { images: ImageJson[] }).images;
}

/** The cards the page shows: id, filename, and where the filename links. */
function cards(page: Page) {
  return page.locator('.card').evaluateAll((nodes) =>
    nodes.map((card) => ({
      id: (card as HTMLElement).dataset.id,
      filename: card.querySelector('.filename')?.textContent?.trim(),
      href: card.querySelector('.filename a')?.getAttribute('href'),
    })),
  );
}

describe('searching the gallery in headless Chromium', () => {
  let running: RunningSystem;
  let browser: Browser;
  const ids: Record<'harbour' | 'garden' | 'broken', number> = { harbour: 0, garden: 0, broken: 0 };

  beforeAll(async () => {
    running = await startDevSystem();
    browser = await launchChromium();
    ids.harbour = (await upload(
      running.url,
      'harbour-landscape.jpg',
      readFileSync(fixturePath('Landscape_1.jpg')),
    ))!;
    ids.garden = (await upload(
      running.url,
      'garden_flowers.jpeg',
      readFileSync(fixturePath('flowers.jpeg')),
    ))!;
    // A file only a decoder finds damaged passes the upload check and then fails in the workers.
    for (const damaged of damagedImages().filter((d) => d.caughtBy === 'decoder')) {
      const id = await upload(running.url, `broken-scan.${damaged.format}`, damaged.bytes);
      if (id !== null) {
        ids.broken = id;
        break;
      }
    }
    expect(Object.values(ids).every((id) => id > 0)).toBe(true);
    await waitUntilSettled(running.url, Object.values(ids));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  it('searches by a word of a filename and of an annotation, filters by status, with URLs to share', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${running.url}/gallery`);
    expect(await cards(page)).toHaveLength(3);
    // Every card links to the image's own page.
    for (const card of await cards(page)) expect(card.href).toBe(`/images/${card.id}`);

    // A word of a filename, typed into the search box (a prefix is enough).
    await page.fill('#search-q', 'Harb');
    await Promise.all([
      page.waitForURL(/\/gallery\?q=Harb/),
      page.click('form.search button[type="submit"]'),
    ]);
    expect(await cards(page)).toEqual([
      { id: String(ids.harbour), filename: 'harbour-landscape.jpg', href: `/images/${ids.harbour}` },
    ]);
    expect(await page.inputValue('#search-q')).toBe('Harb');

    // A word of an annotation: one the garden image's description has and no other image matches.
    const garden = (await api(running.url, 'limit=10')).find((image) => image.id === ids.garden)!;
    let word: string | undefined;
    const candidates = new Set(
      searchText(garden.annotation)
        .split(' ')
        .filter((w) => w !== '' && !/\d/.test(w)),
    );
    for (const candidate of candidates) {
      const found = await api(running.url, `q=${encodeURIComponent(candidate)}`);
      if (found.length === 1 && found[0]!.id === ids.garden && !garden.filename.includes(candidate)) {
        word = candidate;
        break;
      }
    }
    expect(word, `a word only the garden image's annotation has: ${garden.annotation}`).toBeDefined();
    await page.fill('#search-q', word!);
    await Promise.all([page.waitForURL(/\/gallery\?q=/), page.press('#search-q', 'Enter')]);
    expect((await cards(page)).map((card) => card.filename)).toEqual(['garden_flowers.jpeg']);

    // The status filter, without a search.
    await page.fill('#search-q', '');
    await page.selectOption('#search-status', 'failed');
    await Promise.all([page.waitForURL(/status=failed/), page.click('form.search button[type="submit"]')]);
    const failedUrl = page.url();
    expect(new URL(failedUrl).search).toBe('?q=&status=failed');
    expect((await cards(page)).map((card) => card.filename)).toEqual([
      expect.stringMatching(/^broken-scan\./),
    ]);

    // The URL is the result set: opened afresh, it shows the same cards and the same form.
    const shared = await browser.newPage();
    await shared.goto(failedUrl);
    expect(await cards(shared)).toEqual(await cards(page));
    expect(await shared.inputValue('#search-status')).toBe('failed');
    await shared.goto(`${running.url}/gallery?q=harbour&status=completed`);
    expect((await cards(shared)).map((card) => card.filename)).toEqual(['harbour-landscape.jpg']);
    await shared.goto(`${running.url}/gallery?q=zeppelin`);
    expect(await shared.locator('.empty').textContent()).toContain('No images match this search.');
    await shared.close();

    // A search with no word says what to change, on the page.
    await page.goto(`${running.url}/gallery?q=the`);
    expect(await page.locator('#search-problem').textContent()).toMatch(/no word to search for/);
    expect(problems).toEqual([
      'Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
    await page.close();
  }, 90_000);

  it('shows a new upload at the top of an open gallery that matches it, and says so to screen readers', async () => {
    const all = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const harbour = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const garden = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await all.goto(`${running.url}/gallery`);
    await harbour.goto(`${running.url}/gallery?q=harbour`);
    await garden.goto(`${running.url}/gallery?q=garden`);
    const before = await cards(all);

    const id = await upload(running.url, 'harbour-evening.png', readFileSync(fixturePath('with-alpha.png')));
    const fresh = { id: String(id), filename: 'harbour-evening.png', href: `/images/${id}` };

    for (const page of [all, harbour]) {
      await page.locator(`.card[data-id="${id}"]`).waitFor({ timeout: 20_000 });
      expect((await cards(page))[0]).toEqual(fresh);
      expect(await page.locator('#live').textContent()).toMatch(/harbour-evening\.png/);
    }
    expect(await cards(all)).toEqual([fresh, ...before]);
    expect((await cards(harbour)).map((card) => card.filename)).toEqual([
      'harbour-evening.png',
      'harbour-landscape.jpg',
    ]);
    // The filtered gallery that does not match it has polled since (a request begun after the
    // upload has answered), and left it out.
    for (let i = 0; i < 2; i++) {
      await garden.waitForResponse((response) => response.url().includes('/gallery/cards?q=garden'), {
        timeout: 20_000,
      });
    }
    expect((await cards(garden)).map((card) => card.filename)).toEqual(['garden_flowers.jpeg']);

    // The new card is live like the others: its status changes reach the region too.
    await all.locator(`.card[data-id="${id}"]:not([data-pending])`).waitFor({ timeout: 30_000 });
    expect(await all.locator('#live').getAttribute('aria-live')).toBe('polite');

    // The system's dark scheme: a dark page with light text.
    const colours = await all.evaluate(() => {
      const style = getComputedStyle(document.body);
      return { background: style.backgroundColor, text: style.color };
    });
    expect(colours).toEqual({ background: 'rgb(15, 18, 22)', text: 'rgb(230, 233, 238)' });
    await all.screenshot({ path: path.join(ARTIFACTS, 'gallery-dark.png'), fullPage: true });
    for (const page of [all, harbour, garden]) await page.close();
  }, 120_000);
});
