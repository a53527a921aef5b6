import type { Redis } from 'ioredis';
import type { CacheHealth } from '../shared-cache.ts';
import { GalleryCache, type GalleryPageCache, type GalleryView, keyOf } from './gallery-cache.ts';

/** How a page is kept in Redis: bytes out, bytes in. */
export interface PageCodec<Page> {
  encode(page: Page): Buffer;
  decode(bytes: Buffer): Page;
}

/**
 * One round trip per request: the two generation counters, the key of the page under them, and
 * the page if it is there; or only "yours is current" when the process already holds the page
 * under that key (ARGV[4]) and it is still in Redis, so the page's bytes cross the network once
 * per process and generation, not once per request. Keys are built in the script from KEYS' prefix, which a Redis Cluster
 * would refuse: ElastiCache runs it with cluster mode disabled (infra/src/cache.ts).
 */
const READ_SCRIPT = `
local first = redis.call('GET', KEYS[1]) or '0'
local all = redis.call('GET', KEYS[2]) or '0'
local key = ARGV[1] .. all .. ':' .. (ARGV[3] == '1' and first or '-') .. ':' .. ARGV[2]
if key == ARGV[4] and redis.call('EXISTS', key) == 1 then return {key, '', 1} end
local page = redis.call('GET', key)
if not page then return {key} end
return {key, page}
`;
type ReadReply = [Buffer] | [Buffer, Buffer] | [Buffer, Buffer, number];
interface CacheCommands {
  galleryReadBuffer(
    firstGeneration: string,
    allGeneration: string,
    pagesPrefix: string,
    view: string,
    isFirstPage: '0' | '1',
    heldKey: string,
  ): Promise<ReadReply>;
}

/** Pages held in each process's memory, as the in-process cache's bound (a few MB at most). */
const MAX_HELD = 100;

export interface SharedGalleryCacheOptions<Page> {
  readonly redis: Redis;
  /** Every key starts with it (REDIS_KEY_PREFIX); tests give each run its own. */
  readonly keyPrefix: string;
  /** How long a rendered page is reused (GALLERY_CACHE_MS); 0 renders every request. */
  readonly ttlMs: number;
  readonly codec: PageCodec<Page>;
  /** Logs an outage once when it starts and once when it ends. */
  readonly health: CacheHealth;
  /** The clock the fallback in-process cache measures ttlMs on (performance.now by default). */
  readonly clock?: { now(): number };
}

/**
 * Rendered gallery pages in Redis, shared by every web process of every instance: a page is
 * rendered once per GALLERY_CACHE_MS for the whole fleet, and the image URLs in it (presigned, or
 * the CDN's) are the same everywhere.
 *
 * Invalidation is by generation: two counters in Redis, one bumped by an upload (the first
 * pages), one by a delete or a retry (every page), are part of each page's key. Bumping one makes
 * every process's next read miss, at once and everywhere; the old pages are never read again and
 * expire by their TTL. A render that started before an upload is stored under the old generation,
 * so it cannot bring the old first page back.
 *
 * Single flight is per process: concurrent requests in one process wait for one render; two
 * processes that miss together each render once.
 *
 * Redis is a cache, never a dependency: when the read fails or outlasts REDIS_COMMAND_TIMEOUT_MS,
 * the page comes from this process's own GalleryCache (same ttlMs, single flight), so an outage
 * costs one render per page and process per GALLERY_CACHE_MS, not one per request. Invalidations
 * always reach that local cache too, so the process that took an upload shows it at once even
 * during an outage; it is emptied on the first read that reaches Redis again, so it only ever
 * holds pages rendered during the current outage. The outage is logged once when it starts and once when it
 * ends. An invalidation that cannot reach Redis is logged as an error: other processes may then
 * show the old pages until they expire (GALLERY_CACHE_MS).
 */
export class SharedGalleryCache<Page> implements GalleryPageCache<Page> {
  readonly #redis: Redis & CacheCommands;
  readonly #options: SharedGalleryCacheOptions<Page>;
  readonly #firstGeneration: string;
  readonly #allGeneration: string;
  readonly #pagesPrefix: string;
  readonly #rendering = new Map<string, Promise<Page>>();
  /** Where pages are kept while Redis cannot be read. */
  readonly #local: GalleryCache<Page>;
  /** The last page this process read or rendered per view, under its full key (generations included). */
  readonly #held = new Map<string, { readonly key: string; readonly page: Page; readonly until: number }>();

  constructor(options: SharedGalleryCacheOptions<Page>) {
    this.#options = options;
    const { redis, keyPrefix } = options;
    redis.defineCommand('galleryRead', { numberOfKeys: 2, lua: READ_SCRIPT });
    this.#redis = redis as Redis & CacheCommands;
    this.#firstGeneration = `${keyPrefix}gallery:generation:first`;
    this.#allGeneration = `${keyPrefix}gallery:generation:all`;
    this.#pagesPrefix = `${keyPrefix}gallery:page:`;
    this.#local = new GalleryCache<Page>({
      ttlMs: options.ttlMs,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  async page(view: GalleryView, render: () => Promise<Page>): Promise<Page> {
    if (this.#options.ttlMs <= 0) return render();
    const viewKey = keyOf(view);
    // A held page is offered for at most ttlMs: were Redis emptied (a node replaced), the
    // generations would start again and another process could store a new page under an old key.
    const kept = this.#held.get(viewKey);
    const held = kept && kept.until > Date.now() ? kept : undefined;
    let reply: ReadReply;
    try {
      reply = await this.#redis.galleryReadBuffer(
        this.#firstGeneration,
        this.#allGeneration,
        this.#pagesPrefix,
        viewKey,
        view.cursor === null ? '1' : '0',
        held?.key ?? '',
      );
      this.#options.health.up();
    } catch (error) {
      this.#options.health.down(error as Error);
      return this.#local.page(view, render);
    }
    // Redis answers again: what was rendered during the outage missed other processes' invalidations.
    if (this.#local.size > 0) this.#local.invalidateAll();
    const key = reply[0].toString('utf8');
    if (reply[2] === 1 && held?.key === key) return held.page;
    if (reply[1]) {
      try {
        const page = this.#options.codec.decode(reply[1]);
        this.#hold(viewKey, key, page);
        return page;
      } catch (error) {
        this.#options.health.log.warn(
          { err: error, key },
          'a cached gallery page did not decode: rendering it again',
        );
      }
    }
    const running = this.#rendering.get(key);
    if (running) return running;
    const started = Date.now();
    const rendering = render();
    this.#rendering.set(key, rendering);
    try {
      const page = await rendering;
      this.#hold(viewKey, key, page);
      // The TTL counts from the database read, as the in-process cache's does.
      const ttl = this.#options.ttlMs - (Date.now() - started);
      if (ttl > 0) {
        this.#redis
          .set(key, this.#options.codec.encode(page), 'PX', ttl)
          .then(() => this.#options.health.up())
          .catch((error: Error) => this.#options.health.down(error));
      }
      return page;
    } finally {
      this.#rendering.delete(key);
    }
  }

  invalidateFirstPage(): Promise<void> {
    this.#local.invalidateFirstPage();
    return this.#bump(this.#firstGeneration, 'first pages');
  }

  invalidateAll(): Promise<void> {
    this.#local.invalidateAll();
    return this.#bump(this.#allGeneration, 'pages');
  }

  /**
   * Keeps the page this process last had for a view. Bounded by the views there are: without a
   * search or tag, 2 parts x 4 statuses for first pages, plus the cursors people page through;
   * past MAX_HELD the oldest view is dropped.
   */
  #hold(viewKey: string, key: string, page: Page): void {
    this.#held.delete(viewKey);
    this.#held.set(viewKey, { key, page, until: Date.now() + this.#options.ttlMs });
    if (this.#held.size > MAX_HELD) this.#held.delete(this.#held.keys().next().value as string);
  }

  /** Awaited by the route before it answers: the uploader's next page, anywhere, is a new one. */
  async #bump(counter: string, what: string): Promise<void> {
    if (this.#options.ttlMs <= 0) return;
    try {
      await this.#redis.incr(counter);
      this.#options.health.up();
    } catch (error) {
      this.#options.health.down(error as Error);
      this.#options.health.log.error(
        { err: error },
        `could not invalidate the shared gallery ${what}: other web processes may show the old ones for up to GALLERY_CACHE_MS (${this.#options.ttlMs} ms)`,
      );
    }
  }
}
