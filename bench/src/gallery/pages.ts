// Finding the pages the bench loads, and checking that what they show is real.
import { type ImageRepository, openRepository } from '@annot/db';
import type { Database } from '../setup/dataset.ts';

export class BenchCheckError extends Error {
  override readonly name = 'BenchCheckError';
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200)
    throw new BenchCheckError(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Follows nextCursor through /api/images (its default page size is the gallery's) `pages` times. */
export async function deepCursor(baseUrl: string, pages: number): Promise<string> {
  let cursor: string | null = null;
  for (let i = 0; i < pages; i++) {
    const query: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    const page: { nextCursor: string | null } = await getJson(`${baseUrl}/api/images${query}`);
    if (!page.nextCursor) throw new BenchCheckError(`/api/images ran out of pages after ${i + 1}`);
    cursor = page.nextCursor;
  }
  return cursor!;
}

/** The records a gallery page shows, read with the repository's own keyset query. */
export async function pageRecords(database: Database, cursors: readonly (string | null)[]) {
  const limit = database.config.galleryPageSize;
  const repository: ImageRepository = await openRepository({
    database: database.config.database,
    migrate: false,
  });
  try {
    const pages = await Promise.all(cursors.map((cursor) => repository.listPage({ limit, cursor })));
    return pages.flatMap((page) => page.images);
  } finally {
    await repository.close();
  }
}

/**
 * Loads a gallery page and fetches its first thumbnail through the presigned URL the page gives:
 * proof that the URLs are signed correctly and point at real objects.
 */
export async function fetchFirstThumbnail(
  pageUrl: string,
): Promise<{ url: string; status: number; bytes: number }> {
  const response = await fetch(pageUrl);
  const html = await response.text();
  if (response.status !== 200) throw new BenchCheckError(`GET ${pageUrl} answered ${response.status}`);
  const src = /<img src="([^"]+)"/.exec(html)?.[1];
  if (!src) throw new BenchCheckError(`${pageUrl} shows no thumbnail`);
  const url = src.replaceAll('&amp;', '&').replaceAll('&#39;', "'").replaceAll('&quot;', '"');
  const image = await fetch(url);
  const bytes = (await image.arrayBuffer()).byteLength;
  return { url, status: image.status, bytes };
}
