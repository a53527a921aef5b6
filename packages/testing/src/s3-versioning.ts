// s3rver (3.7.1) implements no versioning: it answers PutBucketVersioning, GetBucketVersioning and
// ListObjectVersions with NotImplemented, ignores `versionId` on GET, HEAD and DELETE, and a DELETE
// removes the bytes for good. Code that must remove every version of an object (a plain DELETE on a
// versioned S3 bucket only adds a delete marker and keeps the bytes in a noncurrent version) cannot
// be tested against that. This middleware adds S3's versioning on top of s3rver's store:
//
// - The current version of a key stays where s3rver keeps it, so everything s3rver serves (GET,
//   HEAD, ListObjects, copies, multipart uploads) goes on working unchanged.
// - Each key written while its bucket is versioned has a list of its versions, newest first, kept
//   in memory; the bytes of a noncurrent version are a copy of s3rver's files for it under
//   `versionsRoot`. A delete marker is an entry without bytes (then s3rver holds no object).
// - An object written before versioning was enabled (or in a bucket never versioned) is the
//   version "null", as in S3.
//
// Served: PUT/GET ?versioning; PutObject, CopyObject (onto itself included) and
// CompleteMultipartUpload add a version and answer x-amz-version-id; a plain DELETE adds a delete
// marker; GET/HEAD/DELETE with ?versionId; DeleteObjects with VersionId entries; ListObjectVersions
// (prefix, key-marker, version-id-marker, max-keys). Buckets never versioned behave as s3rver does,
// except that ListObjectVersions and `versionId=null` work on them, as on S3.
// Not served: a delimiter on ListObjectVersions, a Range on a noncurrent version, `versionId` in a
// copy source, and browser POST uploads (those go to s3rver without a version). Path-style only.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';

export type VersioningStatus = 'Enabled' | 'Suspended';

interface Version {
  readonly versionId: string;
  readonly deleteMarker: boolean;
  readonly lastModified: Date;
  /** Where a noncurrent object's files are (absent for the current one: s3rver holds it). */
  blob?: string;
}

/** The slice of s3rver's FilesystemStore the middleware uses. */
interface S3rverStore {
  getBucket(bucket: string): Promise<unknown>;
  existsObject(bucket: string, key: string): Promise<boolean>;
  getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, options: { prefix?: string }): Promise<{ objects: { key: string }[] }>;
  getResourcePath(bucket: string, key: string, resource: string): string;
}

/** The slice of Koa's context the middleware uses. */
interface KoaContext {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[] | undefined>;
  readonly req: IncomingMessage;
  readonly store: S3rverStore;
  status: number;
  body: unknown;
  type: string;
  set(name: string, value: string): void;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const OWNER = '<Owner><ID>123456789000</ID><DisplayName>S3rver</DisplayName></Owner>';
/** s3rver's three files for an object (see its FilesystemStore.getResourcePath). */
const FILES = ['object', 'object.md5', 'metadata.json'] as const;

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const unescapeXml = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (entity[0] !== '#') return named[entity.toLowerCase()] ?? '';
    const code =
      entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1));
    return String.fromCodePoint(code);
  });
const tag = (xml: string, name: string) => {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match?.[1] === undefined ? undefined : unescapeXml(match[1]);
};
/** An S3-shaped version id: 32 URL-safe characters. */
const newVersionId = () => randomBytes(24).toString('base64url');
const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function xml(ctx: KoaContext, status: number, body: string) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

function s3Error(ctx: KoaContext, status: number, code: string, message: string, extra = '') {
  if (ctx.method === 'HEAD') {
    ctx.status = status; // no body (setting it null would make Koa answer 204)
    return;
  }
  xml(ctx, status, `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${extra}</Error>`);
}

/** The versioning state of a test server's buckets, and the middleware that serves it. */
export class S3Versioning {
  readonly #root: string;
  readonly #status = new Map<string, VersioningStatus>();
  /** bucket -> key -> versions, newest first; a key absent here has at most s3rver's object, "null". */
  readonly #versions = new Map<string, Map<string, Version[]>>();
  readonly #locks = new Map<string, Promise<unknown>>();

  /** `versionsRoot`: a directory of its own for the noncurrent versions' bytes. */
  constructor(versionsRoot: string) {
    this.#root = versionsRoot;
  }

  /** Sets a bucket's versioning, as PutBucketVersioning does. */
  setStatus(bucket: string, status: VersioningStatus): void {
    this.#status.set(bucket, status);
  }

  status(bucket: string): VersioningStatus | undefined {
    return this.#status.get(bucket);
  }

  /** Koa middleware; put it first: `server.middleware.unshift(...)`. */
  middleware(): KoaMiddleware {
    return async (ctx, next) => {
      const [, bucket = '', ...rest] = ctx.path.split('/');
      const key = rest.map(decodeURIComponent).join('/');
      if (!bucket) return next();
      const handled = key
        ? await this.#objectRequest(ctx, bucket, key, next)
        : await this.#bucketRequest(ctx, bucket);
      if (!handled) await next();
    };
  }

  async #bucketExists(ctx: KoaContext, bucket: string): Promise<boolean> {
    if (await ctx.store.getBucket(bucket)) return true;
    s3Error(
      ctx,
      404,
      'NoSuchBucket',
      'The specified bucket does not exist',
      `<BucketName>${escapeXml(bucket)}</BucketName>`,
    );
    return false;
  }

  async #bucketRequest(ctx: KoaContext, bucket: string): Promise<boolean> {
    const q = ctx.query;
    if ('versioning' in q && (ctx.method === 'PUT' || ctx.method === 'GET')) {
      if (!(await this.#bucketExists(ctx, bucket))) return true;
      if (ctx.method === 'GET') {
        const status = this.#status.get(bucket);
        xml(
          ctx,
          200,
          status
            ? `<VersioningConfiguration xmlns="${NS}"><Status>${status}</Status></VersioningConfiguration>`
            : `<VersioningConfiguration xmlns="${NS}"/>`,
        );
        return true;
      }
      const status = tag(await readBody(ctx.req), 'Status');
      if (status !== 'Enabled' && status !== 'Suspended') {
        s3Error(
          ctx,
          400,
          'IllegalVersioningConfigurationException',
          'The Versioning element must be specified',
        );
        return true;
      }
      this.#status.set(bucket, status);
      ctx.status = 200;
      ctx.body = '';
      return true;
    }
    if (ctx.method === 'GET' && 'versions' in q) {
      if (!(await this.#bucketExists(ctx, bucket))) return true;
      await this.#listVersions(ctx, bucket);
      return true;
    }
    if (ctx.method === 'POST' && 'delete' in q) {
      if (!(await this.#bucketExists(ctx, bucket))) return true;
      await this.#deleteObjects(ctx, bucket);
      return true;
    }
    return false;
  }

  async #objectRequest(
    ctx: KoaContext,
    bucket: string,
    key: string,
    next: () => Promise<void>,
  ): Promise<boolean> {
    const q = ctx.query;
    const versionId = single(q.versionId);
    const versioned = this.#status.has(bucket);
    const isGet = ctx.method === 'GET' || ctx.method === 'HEAD';
    const subresource = ['uploadId', 'uploads', 'tagging', 'acl', 'partNumber'].some((name) => name in q);
    if (isGet && !subresource) {
      if (versionId === undefined && !versioned) return false;
      if (!(await this.#bucketExists(ctx, bucket))) return true;
      await this.#get(ctx, bucket, key, versionId, next);
      return true;
    }
    if (ctx.method === 'DELETE' && !subresource) {
      if (versionId === undefined && !versioned) return false;
      if (!(await this.#bucketExists(ctx, bucket))) return true;
      const result = await this.#withLock(bucket, key, () =>
        versionId === undefined
          ? this.#addDeleteMarker(ctx.store, bucket, key)
          : this.#deleteVersion(ctx.store, bucket, key, versionId),
      );
      if (result.versionId !== undefined) ctx.set('x-amz-version-id', result.versionId);
      if (result.deleteMarker) ctx.set('x-amz-delete-marker', 'true');
      ctx.status = 204;
      ctx.body = null;
      return true;
    }
    const isPut = ctx.method === 'PUT' && !subresource;
    const isComplete = ctx.method === 'POST' && 'uploadId' in q;
    if (versioned && (isPut || isComplete)) {
      if (
        isPut &&
        single(ctx.req.headers['x-amz-copy-source'] as string | undefined)?.includes('versionId=')
      ) {
        s3Error(
          ctx,
          501,
          'NotImplemented',
          'A copy from a given version is not implemented by the test server',
        );
        return true;
      }
      await this.#withLock(bucket, key, () => this.#write(ctx, bucket, key, next));
      return true;
    }
    return false;
  }

  /** PutObject, CopyObject or CompleteMultipartUpload on a versioned bucket: s3rver writes, a version is added. */
  async #write(ctx: KoaContext, bucket: string, key: string, next: () => Promise<void>) {
    const store = ctx.store;
    const versions = await this.#versionsOf(store, bucket, key);
    const current = versions[0];
    // The current object's bytes are kept before s3rver overwrites them; a failed write drops the copy.
    const blob = current && !current.deleteMarker ? await this.#snapshot(store, bucket, key) : undefined;
    try {
      await next();
    } catch (error) {
      if (blob) await rm(blob, { recursive: true, force: true });
      throw error;
    }
    if (ctx.status < 200 || ctx.status >= 300) {
      if (blob) await rm(blob, { recursive: true, force: true });
      return;
    }
    if (current && blob) current.blob = blob;
    const versionId = this.#status.get(bucket) === 'Suspended' ? 'null' : newVersionId();
    const kept = await this.#dropNullIfSuspended(bucket, versions);
    const metadata = await store.getMetadata(bucket, key);
    kept.unshift({
      versionId,
      deleteMarker: false,
      lastModified: new Date(String(metadata['last-modified'])),
    });
    this.#setVersions(bucket, key, kept);
    ctx.set('x-amz-version-id', versionId);
  }

  /** A plain DELETE on a versioned bucket: the current object becomes noncurrent, a marker is current. */
  async #addDeleteMarker(store: S3rverStore, bucket: string, key: string) {
    const versions = await this.#versionsOf(store, bucket, key);
    const current = versions[0];
    if (current && !current.deleteMarker) {
      current.blob = await this.#snapshot(store, bucket, key);
      await store.deleteObject(bucket, key);
    }
    const versionId = this.#status.get(bucket) === 'Suspended' ? 'null' : newVersionId();
    const kept = await this.#dropNullIfSuspended(bucket, versions);
    kept.unshift({ versionId, deleteMarker: true, lastModified: new Date() });
    this.#setVersions(bucket, key, kept);
    return { versionId, deleteMarker: true };
  }

  /** DELETE ?versionId=: that version goes for good; removing the current one makes the next current. */
  async #deleteVersion(store: S3rverStore, bucket: string, key: string, versionId: string) {
    const versions = await this.#versionsOf(store, bucket, key);
    const index = versions.findIndex((v) => v.versionId === versionId);
    const found = versions[index];
    if (!found) return { versionId, deleteMarker: false };
    versions.splice(index, 1);
    if (index === 0) {
      if (!found.deleteMarker) await store.deleteObject(bucket, key);
      const next = versions[0];
      if (next && !next.deleteMarker && next.blob) {
        await this.#restore(store, bucket, key, next.blob, next.lastModified);
        next.blob = undefined;
      }
    } else if (found.blob) {
      await rm(found.blob, { recursive: true, force: true });
    }
    this.#setVersions(bucket, key, versions);
    return { versionId, deleteMarker: found.deleteMarker };
  }

  async #get(
    ctx: KoaContext,
    bucket: string,
    key: string,
    versionId: string | undefined,
    next: () => Promise<void>,
  ) {
    const versions = await this.#versionsOf(ctx.store, bucket, key);
    const current = versions[0];
    if (versionId === undefined) {
      if (current?.deleteMarker) {
        ctx.set('x-amz-delete-marker', 'true');
        ctx.set('x-amz-version-id', current.versionId);
        s3Error(ctx, 404, 'NoSuchKey', 'The specified key does not exist.', `<Key>${escapeXml(key)}</Key>`);
        return;
      }
      await next();
      if (current && ctx.status === 200) ctx.set('x-amz-version-id', current.versionId);
      return;
    }
    const found = versions.find((v) => v.versionId === versionId);
    if (!found) {
      s3Error(
        ctx,
        404,
        'NoSuchVersion',
        'The specified version does not exist.',
        `<Key>${escapeXml(key)}</Key><VersionId>${escapeXml(versionId)}</VersionId>`,
      );
      return;
    }
    ctx.set('x-amz-version-id', found.versionId);
    if (found.deleteMarker) {
      ctx.set('x-amz-delete-marker', 'true');
      ctx.set('last-modified', found.lastModified.toUTCString());
      s3Error(ctx, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      return;
    }
    if (found === current) {
      await next();
      return;
    }
    // A noncurrent version, from its copy of s3rver's files.
    const blob = found.blob as string;
    const [metadata, md5, info] = await Promise.all([
      readFile(path.join(blob, 'metadata.json'), 'utf8')
        .then((text) => JSON.parse(text) as Record<string, string>)
        .catch(() => ({}) as Record<string, string>),
      readFile(path.join(blob, 'object.md5'), 'utf8').catch(() => undefined),
      stat(path.join(blob, 'object')),
    ]);
    for (const [name, value] of Object.entries(metadata)) ctx.set(name, value);
    if (md5) ctx.set('etag', JSON.stringify(md5));
    ctx.set('last-modified', found.lastModified.toUTCString());
    ctx.set('accept-ranges', 'bytes');
    ctx.status = 200;
    if (ctx.method === 'HEAD') {
      ctx.set('content-length', String(info.size));
      return;
    }
    ctx.body = createReadStream(path.join(blob, 'object'));
    ctx.set('content-length', String(info.size));
  }

  async #deleteObjects(ctx: KoaContext, bucket: string) {
    const body = await readBody(ctx.req);
    const objects = [...body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => ({
      key: tag(m[1] ?? '', 'Key') ?? '',
      versionId: tag(m[1] ?? '', 'VersionId'),
    }));
    if (objects.length === 0 || objects.some((o) => !o.key)) {
      s3Error(
        ctx,
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema.',
      );
      return;
    }
    const quiet = tag(body, 'Quiet') === 'true';
    const versioned = this.#status.has(bucket);
    const entries: string[] = [];
    for (const { key, versionId } of objects) {
      if (versionId === undefined && !versioned) {
        // As s3rver does on a bucket never versioned.
        await this.#withLock(bucket, key, async () => {
          if (await ctx.store.existsObject(bucket, key)) await ctx.store.deleteObject(bucket, key);
        });
        entries.push(`<Deleted><Key>${escapeXml(key)}</Key></Deleted>`);
        continue;
      }
      const result = await this.#withLock(bucket, key, () =>
        versionId === undefined
          ? this.#addDeleteMarker(ctx.store, bucket, key)
          : this.#deleteVersion(ctx.store, bucket, key, versionId),
      );
      if (quiet) continue;
      entries.push(
        `<Deleted><Key>${escapeXml(key)}</Key>` +
          (versionId !== undefined ? `<VersionId>${escapeXml(versionId)}</VersionId>` : '') +
          (result.deleteMarker ? '<DeleteMarker>true</DeleteMarker>' : '') +
          (versionId === undefined
            ? `<DeleteMarkerVersionId>${escapeXml(result.versionId)}</DeleteMarkerVersionId>`
            : '') +
          '</Deleted>',
      );
    }
    xml(ctx, 200, `<DeleteResult xmlns="${NS}">${entries.join('')}</DeleteResult>`);
  }

  async #listVersions(ctx: KoaContext, bucket: string) {
    const q = ctx.query;
    if (single(q.delimiter)) {
      s3Error(
        ctx,
        501,
        'NotImplemented',
        'A delimiter on ListObjectVersions is not implemented by the test server',
      );
      return;
    }
    const prefix = single(q.prefix) ?? '';
    const keyMarker = single(q['key-marker']) ?? '';
    const versionIdMarker = single(q['version-id-marker']) ?? '';
    const maxKeysText = single(q['max-keys']);
    const maxKeys = maxKeysText === undefined ? 1000 : Math.min(1000, Number(maxKeysText));
    if (!Number.isInteger(maxKeys) || maxKeys < 0) {
      s3Error(ctx, 400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
      return;
    }
    const { objects } = await ctx.store.listObjects(bucket, { prefix });
    const keys = new Set(objects.map((o) => o.key));
    for (const key of this.#versions.get(bucket)?.keys() ?? []) if (key.startsWith(prefix)) keys.add(key);
    const sorted = [...keys].filter((key) => key >= keyMarker).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

    const page: string[] = [];
    let truncated = false;
    let last: { key: string; versionId: string } | undefined;
    outer: for (const key of sorted) {
      const versions = await this.#versionsOf(ctx.store, bucket, key);
      let start = 0;
      if (key === keyMarker) {
        if (!versionIdMarker) continue;
        const at = versions.findIndex((v) => v.versionId === versionIdMarker);
        start = at === -1 ? versions.length : at + 1;
      }
      for (let i = start; i < versions.length; i++) {
        const v = versions[i] as Version;
        if (page.length === maxKeys) {
          truncated = true;
          break outer;
        }
        page.push(await this.#versionXml(ctx.store, bucket, key, v, i === 0));
        last = { key, versionId: v.versionId };
      }
    }
    xml(
      ctx,
      200,
      `<ListVersionsResult xmlns="${NS}"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
        `<KeyMarker>${escapeXml(keyMarker)}</KeyMarker><VersionIdMarker>${escapeXml(versionIdMarker)}</VersionIdMarker>` +
        `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
        (truncated && last
          ? `<NextKeyMarker>${escapeXml(last.key)}</NextKeyMarker><NextVersionIdMarker>${escapeXml(last.versionId)}</NextVersionIdMarker>`
          : '') +
        `${page.join('')}</ListVersionsResult>`,
    );
  }

  async #versionXml(store: S3rverStore, bucket: string, key: string, v: Version, isLatest: boolean) {
    const common =
      `<Key>${escapeXml(key)}</Key><VersionId>${escapeXml(v.versionId)}</VersionId>` +
      `<IsLatest>${isLatest}</IsLatest><LastModified>${v.lastModified.toISOString()}</LastModified>`;
    if (v.deleteMarker) return `<DeleteMarker>${common}${OWNER}</DeleteMarker>`;
    let etag: string;
    let size: number;
    if (v.blob) {
      etag = JSON.stringify(await readFile(path.join(v.blob, 'object.md5'), 'utf8').catch(() => ''));
      size = (await stat(path.join(v.blob, 'object'))).size;
    } else {
      const metadata = await store.getMetadata(bucket, key);
      etag = String(metadata.etag);
      size = Number(metadata['content-length']);
    }
    return (
      `<Version>${common}<ETag>${escapeXml(etag)}</ETag><Size>${size}</Size>` +
      `<StorageClass>STANDARD</StorageClass>${OWNER}</Version>`
    );
  }

  /** A key's versions, newest first: the recorded ones, or s3rver's object as the version "null". */
  async #versionsOf(store: S3rverStore, bucket: string, key: string): Promise<Version[]> {
    const recorded = this.#versions.get(bucket)?.get(key);
    if (recorded) return recorded;
    if (!(await store.existsObject(bucket, key))) return [];
    const metadata = await store.getMetadata(bucket, key);
    return [
      { versionId: 'null', deleteMarker: false, lastModified: new Date(String(metadata['last-modified'])) },
    ];
  }

  #setVersions(bucket: string, key: string, versions: Version[]) {
    const keys = this.#versions.get(bucket) ?? new Map<string, Version[]>();
    this.#versions.set(bucket, keys);
    if (versions.length === 0) keys.delete(key);
    else keys.set(key, versions);
  }

  /** In a suspended bucket a new write replaces the version "null" wherever it is. */
  async #dropNullIfSuspended(bucket: string, versions: Version[]): Promise<Version[]> {
    if (this.#status.get(bucket) !== 'Suspended') return versions;
    const kept: Version[] = [];
    for (const v of versions) {
      if (v.versionId !== 'null') kept.push(v);
      else if (v.blob) await rm(v.blob, { recursive: true, force: true });
    }
    return kept;
  }

  /** Copies s3rver's files of the key's current object aside; resolves where. */
  async #snapshot(store: S3rverStore, bucket: string, key: string): Promise<string> {
    await store.getMetadata(bucket, key); // writes the .md5 file when s3rver has not yet
    const blob = path.join(this.#root, bucket, newVersionId());
    await mkdir(blob, { recursive: true });
    for (const file of FILES) {
      await copyFile(store.getResourcePath(bucket, key, file), path.join(blob, file)).catch((error) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
    }
    return blob;
  }

  /** Makes a noncurrent version's files s3rver's current object again. */
  async #restore(store: S3rverStore, bucket: string, key: string, blob: string, lastModified: Date) {
    const objectPath = store.getResourcePath(bucket, key, 'object');
    await mkdir(path.dirname(objectPath), { recursive: true });
    for (const file of FILES) {
      await copyFile(path.join(blob, file), store.getResourcePath(bucket, key, file)).catch((error) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
    }
    await utimes(objectPath, lastModified, lastModified);
    await rm(blob, { recursive: true, force: true });
  }

  /** Runs requests on one key one after another (s3rver's writes are not atomic). */
  async #withLock<T>(bucket: string, key: string, task: () => Promise<T>): Promise<T> {
    const id = `${bucket}/${key}`;
    const before = this.#locks.get(id) ?? Promise.resolve();
    const run = before.then(task, task);
    const settled = run.catch(() => undefined);
    this.#locks.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === settled) this.#locks.delete(id);
    }
  }
}
