import type { Stats } from 'node:fs';
import { type FileHandle, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { encodeKeyForUrl, publicObjectUrl, resolveObjectPath, validateBucketName } from '../keys.ts';
import {
  type GetResult,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectPage,
  type ObjectStore,
  ObjectTooLargeError,
  type PutOptions,
  type PutResult,
} from '../port.ts';
import { readAll } from '../read-all.ts';
import { commit, TEMP_PREFIX, writeTemp } from './atomic-write.ts';
import {
  contentTypeFromName,
  derivedEtag,
  isMissing,
  readSidecar,
  removeSidecar,
  sidecarPath,
  writeSidecar,
} from './metadata.ts';

export interface DirectoryObjectStoreOptions {
  /** The storage root; objects live at `<root>/<bucket>/<key>`. */
  readonly root: string;
  readonly bucket: string;
  /** The path of the web route that serves files: urlFor gives `<urlPrefix>/<bucket>/<key>`. */
  readonly urlPrefix?: string;
  /**
   * Set, urlFor gives `<publicBaseUrl>/<key>` instead of the web route: the bucket directory is
   * served by something else (a static file server or CDN rooted at `<root>/<bucket>`).
   */
  readonly publicBaseUrl?: string | undefined;
}

/**
 * An ObjectStore in a local directory. Writes are atomic (temp file, fsync, rename). ETag: the hex
 * MD5 of the bytes, as S3 reports for a single-part upload, kept in a sidecar; for a file without a
 * valid sidecar, `<size hex>-<mtime ms hex>`.
 */
export class DirectoryObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly root: string;
  readonly urlPrefix: string;
  readonly publicBaseUrl: string | undefined;

  constructor(options: DirectoryObjectStoreOptions) {
    validateBucketName(options.bucket);
    this.bucket = options.bucket;
    this.root = path.resolve(options.root);
    this.urlPrefix = (options.urlPrefix ?? '/files').replace(/\/+$/, '');
    this.publicBaseUrl = options.publicBaseUrl;
  }

  /** The file an object is stored in (throws InvalidObjectKeyError for a hostile key). */
  pathFor(key: string): string {
    return resolveObjectPath(this.root, this.bucket, key);
  }

  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const file = this.pathFor(key);
    const { temp, written } = await writeTemp(file, body, options.signal);
    try {
      options.signal?.throwIfAborted();
      await writeSidecar(sidecarPath(this.root, this.bucket, key), {
        md5: written.md5,
        size: written.size,
        ...(options.contentType ? { contentType: options.contentType } : {}),
        ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}),
      });
      await commit(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { key, size: written.size, etag: written.md5 };
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<GetResult> {
    const { handle, info } = await this.openObject(key);
    const body = handle.createReadStream({
      autoClose: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { body, info };
  }

  async getBytes(
    key: string,
    options: { maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    const { handle, info } = await this.openObject(key);
    if (options.maxBytes !== undefined && info.size > options.maxBytes) {
      await handle.close();
      throw new ObjectTooLargeError(key, info.size, options.maxBytes);
    }
    const body = handle.createReadStream({
      autoClose: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return readAll(body, key, options.maxBytes);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = this.pathFor(key);
    let stats: Stats;
    try {
      stats = await stat(file);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    return stats.isFile() ? this.infoFor(key, stats) : null;
  }

  async delete(key: string): Promise<void> {
    const file = this.pathFor(key);
    // The object first, so it disappears before its metadata does.
    await rm(file, { force: true });
    await removeSidecar(sidecarPath(this.root, this.bucket, key));
  }

  async urlFor(key: string): Promise<string> {
    this.pathFor(key); // validates
    if (this.publicBaseUrl) return publicObjectUrl(this.publicBaseUrl, key);
    return `${this.urlPrefix}/${this.bucket}/${encodeKeyForUrl(key)}`;
  }

  /** A bare directory raises no events (the embedded system wraps it in a store that does). */
  async renotify(_key: string): Promise<boolean> {
    return false;
  }

  /** Removes temp files older than `before`: the writes of a process that died mid-put. */
  async clearUnfinishedWrites(before: Date, prefix = ''): Promise<number> {
    const dir = path.join(this.root, this.bucket);
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
    let removed = 0;
    for (const entry of entries) {
      if (!path.basename(entry).startsWith(TEMP_PREFIX)) continue;
      if (!entry.split(path.sep).join('/').startsWith(prefix)) continue;
      const file = path.join(dir, entry);
      const stats = await stat(file).catch(() => null);
      if (!stats?.isFile() || stats.mtime >= before) continue;
      await rm(file, { force: true });
      removed++;
    }
    return removed;
  }

  async listPage(options: { prefix: string; after?: string; limit: number }): Promise<ObjectPage> {
    const dir = path.join(this.root, this.bucket);
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (error) {
      if (isMissing(error)) return { objects: [], next: null };
      throw error;
    }
    // Object keys, in S3's order (code points), leaving out temp files: no key segment starts with ".".
    const keys = entries
      .map((entry) => entry.split(path.sep).join('/'))
      .filter((key) => key.startsWith(options.prefix) && !key.split('/').some((part) => part.startsWith('.')))
      .filter((key) => options.after === undefined || key > options.after)
      .sort();
    const objects: { key: string; lastModified: Date }[] = [];
    for (const key of keys) {
      if (objects.length === options.limit) return { objects, next: objects.at(-1)!.key };
      const stats = await stat(path.join(dir, key)).catch(() => null);
      if (stats?.isFile()) objects.push({ key, lastModified: stats.mtime });
    }
    return { objects, next: null };
  }

  /** Opens the file first and reads its metadata from the handle, so a concurrent delete cannot split them. */
  private async openObject(key: string): Promise<{ handle: FileHandle; info: ObjectInfo }> {
    const file = this.pathFor(key);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(this.bucket, key, { cause: error });
      throw error;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new ObjectNotFoundError(this.bucket, key);
      return { handle, info: await this.infoFor(key, stats) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private async infoFor(key: string, stats: Stats): Promise<ObjectInfo> {
    const sidecar = await readSidecar(sidecarPath(this.root, this.bucket, key), stats);
    return {
      key,
      size: stats.size,
      contentType: sidecar?.contentType ?? contentTypeFromName(key),
      etag: sidecar?.md5 ?? derivedEtag(stats),
      lastModified: stats.mtime,
    };
  }
}
