import type { S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import type { SignatureV4 } from '@smithy/signature-v4';
import { LRUCache } from 'lru-cache';
import { encodeKeyForUrl, encodeKeySegment } from '../keys.ts';
import { type BucketEndpoint, bucketSigner, resolveBucketEndpoint } from './endpoint.ts';

export interface PresignSettings {
  /** Lifetime of each URL (X-Amz-Expires). */
  readonly expiresSeconds: number;
  /** How long a URL is reused; config keeps it at most half of expiresSeconds. 0 disables the cache. */
  readonly cacheSeconds: number;
}

/**
 * A cache several processes share (the web tier's Redis, with REDIS_URL), so every process and
 * instance hands out the same URL for an object, and a browser's cached image stays valid whichever
 * instance rendered the page. An implementation answers undefined (and logs) when it cannot reach
 * its store: presigning never depends on it.
 */
export interface SharedUrlCache {
  /** The URL stored for `id` and how much longer it may be handed out, in ms. */
  get(id: string): Promise<{ readonly url: string; readonly ttlMs: number } | undefined>;
  set(id: string, url: string, ttlMs: number): Promise<void>;
}

export interface PresignerOptions extends PresignSettings {
  /** Shared across processes, behind this process's own cache (see SharedUrlCache). */
  readonly sharedCache?: SharedUrlCache | undefined;
  /** Bound on cached URLs (default 10 000). */
  readonly maxEntries?: number;
  /** A clock (ms since the epoch) for signing dates and cache ages; tests move it. Default: real time. */
  readonly clock?: { now(): number };
}

export interface PresignStats {
  /** URLs signed (cache misses). */
  readonly signed: number;
  /** URLs served from the cache. */
  readonly cacheHits: number;
}

/**
 * Presigned GET URLs without the per-URL cost of the SDK's getSignedUrl, which clones the client's
 * middleware stack and re-resolves the endpoint for every URL. The endpoint is resolved once per
 * bucket; each URL is one SigV4 HMAC chain over a prebuilt request; and each URL is cached for
 * `cacheSeconds`, so a URL handed out from the cache still has at least half its life left.
 * Credentials come from the client's provider on every signature; the SDK memoizes it and
 * refreshes temporary credentials before they expire, so nothing stale is captured here.
 */
export class CachedUrlPresigner {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #options: PresignerOptions;
  readonly #cache: LRUCache<string, string> | undefined;
  readonly #pending = new Map<string, Promise<string>>();
  #setup: Promise<{ endpoint: BucketEndpoint; signer: SignatureV4 }> | undefined;
  #signed = 0;
  #cacheHits = 0;
  #sharedHits = 0;

  constructor(client: S3Client, bucket: string, options: PresignerOptions) {
    this.#client = client;
    this.#bucket = bucket;
    this.#options = options;
    if (options.cacheSeconds > 0) {
      this.#cache = new LRUCache<string, string>({
        max: options.maxEntries ?? 10_000,
        ttl: options.cacheSeconds * 1000,
        ...(options.clock ? { perf: options.clock, ttlResolution: 0 } : {}),
      });
    }
  }

  stats(): PresignStats {
    return { signed: this.#signed, cacheHits: this.#cacheHits };
  }

  /** URLs another process signed, found in the shared cache. */
  get sharedHits(): number {
    return this.#sharedHits;
  }

  async urlFor(key: string): Promise<string> {
    const cached = this.#cache?.get(key);
    if (cached !== undefined) {
      this.#cacheHits++;
      return cached;
    }
    // Concurrent requests for one key share one signature.
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#sharedOrSign(key).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** Another process's URL when the shared cache has one; else a new signature, shared. */
  async #sharedOrSign(key: string): Promise<string> {
    const shared = this.#options.sharedCache;
    if (!shared || !this.#cache) return this.#sign(key);
    const id = `${this.#bucket}/${key}`;
    const found = await shared.get(id);
    if (found && found.ttlMs > 0) {
      this.#sharedHits++;
      // Never kept here longer than there: the URL keeps at least half its life when handed out.
      this.#cache.set(key, found.url, { ttl: Math.min(found.ttlMs, this.#options.cacheSeconds * 1000) });
      return found.url;
    }
    return this.#sign(key, id);
  }

  async #sign(key: string, sharedId?: string): Promise<string> {
    const { endpoint, signer } = await this.#ready();
    const now = this.#options.clock?.now() ?? Date.now();
    const request = new HttpRequest({
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
      path: `${endpoint.basePath}/${encodeKeyForUrl(key)}`,
      // x-id as the SDK sends it, so these URLs are byte-for-byte what getSignedUrl would give.
      query: { 'x-id': 'GetObject' },
      headers: {
        host: endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`,
        'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
      },
    });
    const signed = await signer.presign(request, {
      expiresIn: this.#options.expiresSeconds,
      signingDate: new Date(now),
      signingRegion: endpoint.signingRegion,
      signingService: endpoint.signingName,
    });
    this.#signed++;
    const url = formatUrl(signed);
    const ttl = await this.#cacheTtl(now);
    if (this.#cache && ttl > 0) {
      this.#cache.set(key, url, { ttl });
      if (sharedId !== undefined) void this.#options.sharedCache?.set(sharedId, url, ttl);
    }
    return url;
  }

  /**
   * Normally cacheSeconds. With temporary credentials the URL dies when they do, so the entry must
   * leave the cache by half of the remaining time, like the config's rule for X-Amz-Expires.
   */
  async #cacheTtl(now: number): Promise<number> {
    const cacheMs = this.#options.cacheSeconds * 1000;
    const credentials = await this.#client.config.credentials();
    const expiration = credentials.expiration?.getTime();
    if (expiration === undefined) return cacheMs;
    return Math.min(cacheMs, Math.floor((expiration - now) / 2));
  }

  #ready(): Promise<{ endpoint: BucketEndpoint; signer: SignatureV4 }> {
    this.#setup ??= resolveBucketEndpoint(this.#client, this.#bucket).then(
      (endpoint) => ({
        endpoint,
        signer: bucketSigner(this.#client, endpoint),
      }),
      (error: unknown) => {
        this.#setup = undefined; // retry on the next call
        throw error;
      },
    );
    return this.#setup;
  }
}

/** The URL of a signed request; query parameters sorted and RFC 3986 encoded, as the SDK formats them. */
function formatUrl(request: {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number | undefined;
  readonly path: string;
  readonly query?: Record<string, string | (string | null)[] | null> | undefined;
}): string {
  const port = request.port === undefined ? '' : `:${request.port}`;
  const params = request.query ?? {};
  // Every parameter here (x-id and the X-Amz-* ones) is a single string.
  const query = Object.keys(params)
    .sort()
    .map((name) => `${encodeKeySegment(name)}=${encodeKeySegment(String(params[name]))}`)
    .join('&');
  return `${request.protocol}//${request.hostname}${port}${request.path}?${query}`;
}
