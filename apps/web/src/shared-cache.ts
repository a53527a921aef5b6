import type { RedisConfig } from '@annot/config';
import type { SharedUrlCache } from '@annot/storage';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

type Log = Pick<FastifyBaseLogger, 'warn' | 'info' | 'error'>;

/**
 * The shared cache's state as the logs tell it: an outage is logged once when it starts and once
 * when it ends, not once per request. Every user of the one client reports to one of these.
 */
export class CacheHealth {
  readonly log: Log;
  #healthy = true;

  constructor(log: Log) {
    this.log = log;
  }

  down(error: Error): void {
    if (!this.#healthy) return;
    this.#healthy = false;
    this.log.warn(
      { err: error },
      'the shared cache (REDIS_URL) does not answer: gallery pages are cached and image URLs signed per process until it does',
    );
  }

  up(): void {
    if (this.#healthy) return;
    this.#healthy = true;
    this.log.info('the shared cache (REDIS_URL) answers again');
  }
}

/** One connection to the shared cache, with its health, for the gallery pages and the image URLs. */
export interface SharedCache {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly health: CacheHealth;
  close(): Promise<void>;
}

/**
 * The client for REDIS_URL (rediss:// is TLS). Commands fail at once while it is disconnected (no
 * offline queue) and after REDIS_COMMAND_TIMEOUT_MS, so no request waits on the cache; it
 * reconnects in the background. The first connection is awaited up to REDIS_CONNECT_TIMEOUT_MS,
 * so a process does not start by logging an outage; if it fails, the process starts anyway.
 */
export async function connectSharedCache(config: RedisConfig, log: Log): Promise<SharedCache> {
  const redis = new Redis(config.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: config.connectTimeoutMs,
    // Reconnect forever, backing off to one attempt every 2 s.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  });
  const health = new CacheHealth(log);
  redis.on('error', (error: Error) => health.down(error));
  try {
    await redis.connect();
  } catch (error) {
    log.warn(
      { err: error },
      'the shared cache (REDIS_URL) does not answer at start: gallery pages are cached per process until it does',
    );
  }
  return {
    redis,
    keyPrefix: config.keyPrefix,
    health,
    async close() {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

/**
 * Presigned URLs in the shared cache (the storage adapter's SharedUrlCache): the URL and its
 * remaining life in one round trip. A failure is an outage like any other: logged once, and the
 * presigner signs its own.
 */
export function sharedUrlCache(cache: SharedCache): SharedUrlCache {
  const prefix = `${cache.keyPrefix}presigned:`;
  return {
    async get(id) {
      try {
        const replies = await cache.redis.multi().get(`${prefix}${id}`).pttl(`${prefix}${id}`).exec();
        const [[getError, url] = [null, null], [ttlError, ttl] = [null, 0]] = replies ?? [];
        if (getError || ttlError) throw getError ?? ttlError;
        cache.health.up();
        return typeof url === 'string' && typeof ttl === 'number' && ttl > 0
          ? { url, ttlMs: ttl }
          : undefined;
      } catch (error) {
        cache.health.down(error as Error);
        return undefined;
      }
    },
    async set(id, url, ttlMs) {
      try {
        // NX: the first process's URL stays the one everyone hands out.
        await cache.redis.set(`${prefix}${id}`, url, 'PX', ttlMs, 'NX');
        cache.health.up();
      } catch (error) {
        cache.health.down(error as Error);
      }
    },
  };
}
