import type { Readable } from 'node:stream';
import { buildObjectCreatedEvent } from '@annot/events';
import type { GetResult, ObjectInfo, ObjectPage, ObjectStore, PutOptions, PutResult } from '@annot/storage';

/** Where an "Object Created" event goes: the local bus's `publish`. */
export type EventSink = (event: unknown) => void;

/**
 * Wraps a bucket so that every completed put raises the event S3 would send to EventBridge.
 * This is the local stand-in for S3 -> EventBridge: the web app stores the original exactly as
 * in AWS, and the in-process bus fans the event out to the workers.
 */
export class PublishingObjectStore implements ObjectStore {
  readonly #inner: ObjectStore;
  readonly #publish: EventSink;

  constructor(inner: ObjectStore, publish: EventSink) {
    this.#inner = inner;
    this.#publish = publish;
  }

  get bucket(): string {
    return this.#inner.bucket;
  }

  async put(key: string, body: Readable | Uint8Array, options?: PutOptions): Promise<PutResult> {
    const result = await this.#inner.put(key, body, options);
    this.#announce(result.key, result.size, result.etag);
    return result;
  }

  /** The sweep's second chance for an upload whose event was lost (say, the process died first). */
  async renotify(key: string): Promise<boolean> {
    const info = await this.#inner.head(key);
    if (info === null) return false;
    this.#announce(key, info.size, info.etag);
    return true;
  }

  clearUnfinishedWrites(before: Date, prefix?: string): Promise<number> {
    return this.#inner.clearUnfinishedWrites(before, prefix);
  }

  listPage(options: { prefix: string; after?: string; limit: number }): Promise<ObjectPage> {
    return this.#inner.listPage(options);
  }

  #announce(key: string, size: number, etag: string | undefined): void {
    this.#publish(
      buildObjectCreatedEvent({
        bucket: this.#inner.bucket,
        key,
        size,
        ...(etag === undefined ? {} : { etag }),
      }),
    );
  }

  get(key: string, options?: { signal?: AbortSignal }): Promise<GetResult> {
    return this.#inner.get(key, options);
  }

  getBytes(key: string, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<Uint8Array> {
    return this.#inner.getBytes(key, options);
  }

  head(key: string): Promise<ObjectInfo | null> {
    return this.#inner.head(key);
  }

  delete(key: string): Promise<void> {
    return this.#inner.delete(key);
  }

  urlFor(key: string): Promise<string> {
    return this.#inner.urlFor(key);
  }
}
