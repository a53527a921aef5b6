import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';
import type { FastifyBaseLogger } from 'fastify';
import { statusJson } from '../present/image-json.ts';
import { MAX_STATUS_IDS, type StatusJson } from '../routes/schemas.ts';

export interface StatusStreamsOptions {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  readonly log: FastifyBaseLogger;
  /** Most streams open at once (STATUS_STREAM_MAX_CONNECTIONS); 0: none is opened. */
  readonly maxStreams: number;
  /** Heartbeat interval of each stream (STATUS_STREAM_HEARTBEAT_MS). */
  readonly heartbeatMs: number;
  /** How often the watched statuses are read while any stream is open (STATUS_STREAM_CHECK_MS). */
  readonly checkMs: number;
}

/** Where a stream's messages go: the response body. `end` finishes the response. */
export interface StreamSink {
  write(text: string): void;
  end(): void;
}

interface Watcher {
  readonly sink: StreamSink;
  /** The ids still pending as this stream last told them; an id leaves once it is settled. */
  readonly ids: Set<number>;
  /** What this stream was last sent about each id (its JSON), so a message goes out only on a change. */
  readonly sent: Map<number, string>;
  readonly heartbeat: NodeJS.Timeout;
  /** Whether `done` was sent (no id left to watch). */
  done: boolean;
}

/** Why `open` refused a stream. */
export type Refusal = 'full' | 'closed';

const settled = (s: StatusJson) => s.annotationStatus !== 'pending' && s.thumbnailStatus !== 'pending';

/**
 * The server side of GET /api/images/events: pushes the status of the images each open page is
 * waiting for, as server-sent events, the moment this process learns of a change.
 *
 * How it learns, in both deployments: every `checkMs` while any stream is open it reads the statuses
 * of all the ids its streams watch (one query per 100 ids, for all streams together) and sends each
 * stream what changed; and `changed()` runs that check at once, which the embedded system's local
 * workers call when they record a stage (in AWS the workers are Lambdas that write the database
 * directly, so the web tier finds their writes by the periodic check). A stream's first check sends
 * the current status of every id it watches, so nothing recorded between the page's render and
 * the stream's start is missed. An id leaves a stream once both its stages are settled; when none
 * is left the stream says `done` and the server ends it (the page closes its EventSource on `done`,
 * so it does not reconnect).
 *
 * Bounded: at most `maxStreams` open (the route answers 503 beyond, and the page polls), at most
 * MAX_STATUS_IDS ids each. `close()` (the server's preClose) ends every stream, so a graceful
 * shutdown never waits on them.
 */
export class StatusStreams {
  readonly #options: StatusStreamsOptions;
  readonly #watchers = new Set<Watcher>();
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #again = false;

  constructor(options: StatusStreamsOptions) {
    this.#options = options;
  }

  /** Streams open now. */
  get size(): number {
    return this.#watchers.size;
  }

  /** Whether the route is on (STATUS_STREAM_MAX_CONNECTIONS > 0). */
  get enabled(): boolean {
    return this.#options.maxStreams > 0;
  }

  /**
   * Starts a stream watching `ids` (at most MAX_STATUS_IDS, validated by the route), or says why
   * not. The caller sends `stop` when the client goes away.
   */
  open(ids: readonly number[], sink: StreamSink): { stop: () => void } | Refusal {
    if (this.#closed) return 'closed';
    if (this.#watchers.size >= this.#options.maxStreams) return 'full';
    const heartbeat = setInterval(() => this.#send(watcher, 'heartbeat', '{}'), this.#options.heartbeatMs);
    heartbeat.unref();
    const watcher: Watcher = { sink, ids: new Set(ids), sent: new Map(), heartbeat, done: false };
    this.#watchers.add(watcher);
    this.#timer ??= setInterval(() => this.changed(), this.#options.checkMs).unref();
    this.changed();
    return { stop: () => this.#remove(watcher) };
  }

  /** Something may have changed (a stage was recorded in this process): check the watched ids now. */
  changed(): void {
    if (this.#closed || this.#watchers.size === 0) return;
    if (this.#checking) {
      // One more check after the running one, however many changes arrive meanwhile.
      this.#again = true;
      return;
    }
    this.#checking = this.#check()
      .catch((error: unknown) =>
        this.#options.log.warn(
          { err: error },
          'status streams: reading the statuses failed; next check retries',
        ),
      )
      .finally(() => {
        this.#checking = undefined;
        if (this.#again) {
          this.#again = false;
          this.changed();
        }
      });
  }

  /** Ends every stream and opens no more (the server is stopping). */
  close(): void {
    this.#closed = true;
    for (const watcher of [...this.#watchers]) {
      this.#send(watcher, 'closing', '{}');
      this.#remove(watcher);
      watcher.sink.end();
    }
  }

  async #check(): Promise<void> {
    // The streams open now: one opened while this check reads is checked by the next (its open
    // asks for one), never told here that ids this check did not read are gone.
    const watchers = [...this.#watchers];
    const ids = new Set<number>();
    for (const watcher of watchers) for (const id of watcher.ids) ids.add(id);
    const all = [...ids];
    const found = new Map<number, StatusJson>();
    for (let i = 0; i < all.length; i += MAX_STATUS_IDS) {
      const statuses = await this.#options.repository.statuses(all.slice(i, i + MAX_STATUS_IDS));
      for (const status of statuses) {
        found.set(status.id, await statusJson(status, this.#options.storage, this.#options.log));
      }
    }
    for (const watcher of watchers) {
      if (!this.#watchers.has(watcher)) continue;
      for (const id of watcher.ids) {
        const status = found.get(id);
        if (status === undefined) {
          // Deleted (or never was): nothing more will be said about it.
          watcher.ids.delete(id);
          continue;
        }
        const json = JSON.stringify(status);
        if (watcher.sent.get(id) !== json) {
          watcher.sent.set(id, json);
          this.#send(watcher, 'status', json);
        }
        if (settled(status)) watcher.ids.delete(id);
      }
      if (watcher.ids.size === 0 && !watcher.done) {
        // All said: the stream ends here, its place is free for another (a client that would
        // keep it open, heartbeats and all, cannot hold it).
        watcher.done = true;
        this.#send(watcher, 'done', '{}');
        this.#remove(watcher);
        watcher.sink.end();
      }
    }
  }

  #send(watcher: Watcher, event: string, data: string): void {
    try {
      watcher.sink.write(`event: ${event}\ndata: ${data}\n\n`);
    } catch {
      // The client is gone; its close removes the watcher.
    }
  }

  #remove(watcher: Watcher): void {
    clearInterval(watcher.heartbeat);
    this.#watchers.delete(watcher);
    if (this.#watchers.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
