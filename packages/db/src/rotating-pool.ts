import type { Pool } from 'mysql2/promise';
import type { DbLogger } from './logger.ts';

/** Returns a current mysql:// URL, e.g. rebuilt from the (rotated) Secrets Manager secret. */
export type CredentialsRefresher = () => Promise<string>;

/** ER_ACCESS_DENIED_ERROR: the server refused the login (user name or password). */
const ER_ACCESS_DENIED = 1045;

/** The default least time between two credential refreshes. */
const MIN_REFRESH_INTERVAL_MS = 10_000;

/** True when a MySQL login was refused (1045): the password may have been rotated. */
function isAccessDenied(error: unknown): boolean {
  const details = error as { errno?: unknown; code?: unknown } | null;
  return details?.errno === ER_ACCESS_DENIED || details?.code === 'ER_ACCESS_DENIED_ERROR';
}

export interface RotatingPoolOptions {
  readonly url: string;
  readonly createPool: (url: string) => Pool;
  /** Without it, a refused login surfaces at once, as with a plain pool. */
  readonly refresh?: CredentialsRefresher | undefined;
  readonly minRefreshIntervalMs?: number | undefined;
  /** The clock minRefreshIntervalMs is measured on, in ms (default Date.now). */
  readonly now?: (() => number) | undefined;
  readonly logger: DbLogger;
}

/** One pool and the operations still running on it. */
interface Generation {
  readonly pool: Pool;
  readonly url: string;
  active: number;
  retired: boolean;
  ended?: Promise<void>;
}

/**
 * A mysql2 pool whose credentials can be replaced while the process runs. RDS rotates the managed
 * master password (weekly by default); open connections keep working, but new logins are refused
 * with 1045. On such a refusal the pool asks `refresh` for a new URL (one refresh for all the
 * operations failing at once, and at most one per `minRefreshIntervalMs`, so a wrong secret cannot
 * loop), builds a new pool, ends the old one once its running operations are done, and retries the
 * refused operation once.
 */
export class RotatingPool {
  readonly #options: RotatingPoolOptions;
  #current: Generation;
  #refreshing: Promise<boolean> | undefined;
  #lastRefreshAt = Number.NEGATIVE_INFINITY;
  readonly #generations = new Set<Generation>();
  #closed: Promise<void> | undefined;

  constructor(options: RotatingPoolOptions) {
    this.#options = options;
    this.#current = this.#open(options.url);
  }

  /**
   * Runs `fn` with the current pool; on a refused login, refreshes the credentials and runs it once
   * more. Retrying is safe: 1045 only ever comes from the login, before any statement ran.
   */
  async use<T>(fn: (pool: Pool) => Promise<T>): Promise<T> {
    const generation = this.#current;
    try {
      return await this.#within(generation, fn);
    } catch (error) {
      if (!isAccessDenied(error) || !(await this.#renew(generation))) throw error;
    }
    return this.#within(this.#current, fn);
  }

  /** Ends every pool; operations already running finish first (mysql2 queues the QUIT). */
  close(): Promise<void> {
    this.#closed ??= Promise.all([...this.#generations].map((generation) => this.#end(generation))).then(
      () => undefined,
    );
    return this.#closed;
  }

  async #within<T>(generation: Generation, fn: (pool: Pool) => Promise<T>): Promise<T> {
    generation.active++;
    try {
      return await fn(generation.pool);
    } finally {
      generation.active--;
      if (generation.retired && generation.active === 0) void this.#end(generation);
    }
  }

  /** True when a newer pool is ready to retry on. */
  #renew(failed: Generation): Promise<boolean> {
    if (this.#closed || !this.#options.refresh) return Promise.resolve(false);
    // Another operation already replaced the pool this one failed on.
    if (this.#current !== failed) return Promise.resolve(true);
    this.#refreshing ??= this.#refresh(this.#options.refresh).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(refresh: CredentialsRefresher): Promise<boolean> {
    const now = (this.#options.now ?? Date.now)();
    if (now - this.#lastRefreshAt < (this.#options.minRefreshIntervalMs ?? MIN_REFRESH_INTERVAL_MS)) {
      return false;
    }
    this.#lastRefreshAt = now;
    const { logger } = this.#options;
    logger.warn({ errno: ER_ACCESS_DENIED }, 'database refused the credentials: refreshing them');
    let url: string;
    let next: Generation;
    try {
      url = await refresh();
      if (this.#closed) return false;
      if (url === this.#current.url) {
        logger.warn({}, 'refreshed database credentials are unchanged: not rebuilding the pool');
        return false;
      }
      next = this.#open(url);
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'could not refresh the database credentials');
      return false;
    }
    const previous = this.#current;
    this.#current = next;
    previous.retired = true;
    if (previous.active === 0) void this.#end(previous);
    logger.warn(describe(url), 'database pool rebuilt with refreshed credentials');
    return true;
  }

  #open(url: string): Generation {
    const generation: Generation = { pool: this.#options.createPool(url), url, active: 0, retired: false };
    this.#generations.add(generation);
    return generation;
  }

  #end(generation: Generation): Promise<void> {
    generation.ended ??= generation.pool.end().then(
      () => {
        this.#generations.delete(generation);
      },
      (error: unknown) => {
        this.#generations.delete(generation);
        this.#options.logger.warn({ error: (error as Error).message }, 'closing a database pool failed');
      },
    );
    return generation.ended;
  }
}

/** Where the URL points, never its password. */
function describe(url: string): Record<string, unknown> {
  const parsed = new URL(url);
  return {
    user: decodeURIComponent(parsed.username),
    host: parsed.hostname,
    database: parsed.pathname.slice(1),
  };
}
