import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { damagedImages, fixturePath } from '@annot/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium } from './chromium.ts';
import { type RunningSystem, startDevSystem } from './system.ts';

// Long enough that a retried image is seen pending again before its worker runs.
const WORKER_DELAY_MS = 1500;

describe('image page, retry and delete in headless Chromium', () => {
  let running: RunningSystem;
  let browser: Browser;
  let dir: string;
  let broken: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'browser-actions-'));
    // A JPEG whose damage only the decoder finds: accepted at the upload, failed by both workers.
    const damaged = damagedImages().find((d) => d.name.includes('bad component count'));
    if (!damaged) throw new Error('no decoder-caught JPEG among the damaged fixtures');
    broken = path.join(dir, 'broken.jpg');
    writeFileSync(broken, damaged.bytes);
    running = await startDevSystem({}, WORKER_DELAY_MS);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads, opens an image’s page from the gallery, retries a failed image and deletes one', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('dialog', (dialog) => dialog.accept());

    await page.goto(`${running.url}/`);
    await page.setInputFiles('#file-input', [fixturePath('Landscape_1.jpg'), broken]);
    await page.locator('.upload-item[data-state="done"]').nth(1).waitFor({ timeout: 20_000 });

    // The gallery settles: one completed, one failed with a one-click retry.
    await page.goto(`${running.url}/gallery`);
    await page.waitForFunction(
      () => document.querySelectorAll('.card[data-pending]').length === 0,
      undefined,
      {
        timeout: 30_000,
        polling: 200,
      },
    );
    await page.reload();
    const failed = page.locator('.card', { has: page.locator('.badge[data-status="failed"]') });
    const good = page.locator('.card', { hasNot: page.locator('.badge[data-status="failed"]') });
    expect(await failed.count()).toBe(1);
    expect(await good.count()).toBe(1);
    expect(await failed.locator('button[data-action="retry"]').count()).toBeGreaterThan(0);
    expect(await good.locator('button[data-action="retry"]').count()).toBe(0);
    expect(await page.locator('button[data-action="delete"]').count()).toBe(2);

    // Another browser sees no buttons at all.
    const stranger = await browser.newPage();
    await stranger.goto(`${running.url}/gallery`);
    expect(await stranger.locator('.card').count()).toBe(2);
    expect(await stranger.locator('.actions').count()).toBe(0);
    await stranger.close();

    // The image's page, from its card.
    await good.locator('a.image-link').click();
    await page.waitForURL(/\/images\/\d+$/);
    expect(await page.locator('h1').textContent()).toBe('Landscape_1.jpg');
    expect(await page.locator('.facts').textContent()).toMatch(/600 × 450/);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img.original');
      return img?.complete && img.naturalWidth > 0;
    });
    expect(await page.locator('.annotation-text').textContent()).not.toBe('');
    await page.screenshot({ path: path.join(ARTIFACTS, 'image-page.png'), fullPage: true });
    await page.goBack();

    // Retry the failed one: its badges go back to pending, then it fails again (the file is broken).
    const failedId = await failed.getAttribute('data-id');
    await failed.locator('button[data-action="retry"]').first().click();
    const card = page.locator(`.card[data-id="${failedId}"]`);
    await card.locator('.badge[data-status="pending"]').first().waitFor({ timeout: 10_000 });
    expect(await card.locator('.action-status').textContent()).toMatch(/Retry sent/);
    await page.waitForFunction(
      (id) => document.querySelector(`.card[data-id="${id}"]`)?.hasAttribute('data-pending') === false,
      failedId,
      { timeout: 30_000, polling: 200 },
    );
    expect(await card.locator('.badge[data-status="failed"]').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'gallery-retried.png'), fullPage: true });

    // Delete the good one: its card goes, and it is gone for good.
    const goodId = await good.getAttribute('data-id');
    await good.locator('button[data-action="delete"]').click();
    await page.locator(`.card[data-id="${goodId}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    await page.reload();
    expect(await page.locator('.card').count()).toBe(1);
    expect((await fetch(`${running.url}/api/images/${goodId}`)).status).toBe(404);
    expect((await page.goto(`${running.url}/images/${goodId}`))?.status()).toBe(404);

    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await context.close();
  });
});
