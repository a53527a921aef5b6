import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import { loadConfig } from '@annot/config';
import { type ImageRecord, type ImageRepository, openRepository } from '@annot/db';
import { thumbnailKeyFor, uploadKey } from '@annot/object-keys';
import { createStorage, DirectoryObjectStore, type Storage } from '@annot/storage';
import { distinctCopy, failureOf, fixturePath, startS3Server, truncatedImages } from '@annot/testing';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type AcceptDeps, acceptFile } from '../src/upload/accept-file.ts';
import { claimContent, DuplicateContentError } from '../src/upload/duplicates.ts';
import { UploadReclaimer } from '../src/upload/reclaim.ts';
import { tooLarge, UploadRefusedError } from '../src/upload/refusal.ts';
import { withMethod } from './helper.ts';

// acceptFile and claimContent called directly, on a real SQLite repository and a real directory
// store (one test on s3rver), with parts that stand in for @fastify/multipart's file streams: each
// step (the row, the put, the claim, a refusal, an abort, a cleanup) is reached without HTTP. The
// tests wait on latches (a part held before a chunk, a wrapped repository call), never on a clock,
// and assert no duration, so `pnpm mutate web-upload` can run them against every mutant under load.

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
/** An SVG (refused from its first bytes), padded so that its first chunk is all the check reads. */
const svgChunks = () => {
  const svg = readFileSync(fixturePath('circle.svg'));
  return [Buffer.concat([svg, Buffer.alloc(8192, 0x20)]), Buffer.alloc(8192, 0x20)];
};
let copies = 0;
/** Bytes no other upload of the test has. */
const fresh = () => distinctCopy(jpeg, `accept-file ${copies++}`);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();
/** `bytes` cut into `count` chunks (the last may be shorter). */
function chunks(bytes: Buffer, count: number): Buffer[] {
  const size = Math.ceil(bytes.length / count);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

interface PartOptions {
  /** The part waits before giving this chunk (by index) until `release()`. */
  readonly holdBefore?: number;
  /** The parser's size cut: flagged from the first byte, or as the last byte is read. */
  readonly truncated?: 'from-start' | 'at-end';
}

/**
 * A multipart file part as the pipeline reads it (busboy's file stream): its chunks in order, its
 * `truncated` flag, and `destroy`, which fails a pending read with the error given (or a premature
 * close). It records what was done to it: read to its end, or destroyed and with what.
 */
class Part implements AsyncIterable<Buffer> {
  truncated: boolean;
  destroyed = false;
  destroyError: Error | undefined;
  /** True once a read found the end (the part was read to its last byte). */
  finished = false;
  readonly #chunks: readonly Buffer[];
  readonly #truncateAtEnd: boolean;
  #next = 0;
  #holdBefore: number | undefined;
  readonly #held = Promise.withResolvers<void>();
  readonly #released = Promise.withResolvers<void>();
  readonly #gone = Promise.withResolvers<never>();

  constructor(chunkList: readonly Buffer[], options: PartOptions = {}) {
    this.#chunks = chunkList;
    this.#holdBefore = options.holdBefore;
    this.truncated = options.truncated === 'from-start';
    this.#truncateAtEnd = options.truncated === 'at-end';
    this.#gone.promise.catch(() => {});
  }

  /** Resolves once the reader waits at `holdBefore`. */
  get held(): Promise<void> {
    return this.#held.promise;
  }

  release(): void {
    this.#released.resolve();
  }

  destroy(error?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.destroyError = error;
    this.#gone.reject(error ?? new Error('Premature close'));
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return { next: () => this.#read() };
  }

  async #read(): Promise<IteratorResult<Buffer>> {
    if (this.#next === this.#holdBefore) {
      this.#holdBefore = undefined;
      this.#held.resolve();
      await Promise.race([this.#released.promise, this.#gone.promise]);
    }
    if (this.destroyed) await this.#gone.promise;
    const chunk = this.#chunks[this.#next];
    if (chunk !== undefined) {
      this.#next++;
      return { done: false, value: chunk };
    }
    this.finished = true;
    if (this.#truncateAtEnd) this.truncated = true;
    return { done: true, value: undefined };
  }
}

/** One log line as pino wrote it. */
type LogLine = { level: number; msg: string; key?: string; err?: { message: string } };
const WARN = pino.levels.values.warn;
const ERROR = pino.levels.values.error;

/** A real SQLite repository and directory store in a temp dir, and a pino logger whose lines are kept. */
interface Bench {
  readonly repository: ImageRepository;
  readonly storage: Storage;
  /** The SQLite file, for a second connection that changes the schema under the repository. */
  readonly databaseFile: string;
  readonly logs: LogLine[];
  deps(overrides?: Partial<AcceptDeps>, limits?: Partial<AcceptDeps['limits']>): AcceptDeps;
  /** Every file in a bucket's directory (temp files too), relative to it. */
  files(bucket: 'originals' | 'thumbnails'): Promise<string[]>;
  rows(): Promise<ImageRecord[]>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bench(): Promise<Bench> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'accept-file-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const databaseFile = path.join(dir, 'annotations.sqlite');
  const repository = await openRepository({ database: { kind: 'sqlite', path: databaseFile } });
  cleanups.push(() => repository.close());
  const root = path.join(dir, 'blobs');
  const storage: Storage = {
    originals: new DirectoryObjectStore({ root, bucket: 'originals' }),
    thumbnails: new DirectoryObjectStore({ root, bucket: 'thumbnails' }),
  };
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as LogLine);
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink) as unknown as FastifyBaseLogger;
  return {
    repository,
    storage,
    databaseFile,
    logs,
    deps: (overrides = {}, limits = {}) => ({
      repository,
      storage,
      log,
      limits: {
        maxUploadBytes: 10 * 1024 * 1024,
        maxInputPixels: 60_000_000,
        uploadDuplicateWaitMs: 0,
        ...limits,
      },
      ...overrides,
    }),
    async files(bucket) {
      const entries = await readdir(path.join(root, bucket), { recursive: true, withFileTypes: true }).catch(
        () => [],
      );
      return entries
        .filter((e) => e.isFile())
        .map((e) => path.relative(path.join(root, bucket), path.join(e.parentPath, e.name)))
        .sort();
    },
    rows: async () => (await repository.listPage({ limit: 100 })).images,
  };
}

/** Runs SQL on the database file through a connection of its own (a trigger that refuses a write). */
function onDatabase(b: Bench, sql: string): void {
  const db = new DatabaseSync(b.databaseFile);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** A reclaimer that counts the collections it would make: one per chunk passed on to storage. */
function countingReclaimer() {
  const counted = { collections: 0 };
  const reclaimer = new UploadReclaimer({ everyBytes: 1, collect: () => counted.collections++ });
  return { reclaimer, counted };
}

/** After the reclaimer's scheduled collection (setImmediate) has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A row pending for `bytes` that has claimed them: another upload of the same bytes, still being stored. */
/** The row of an upload whose bytes are still arriving (no size yet), under a new key. */
function arriving(b: Bench, filename: string, originalKey = uploadKey(filename)): Promise<ImageRecord> {
  return b.repository.createPending({
    filename,
    originalKey,
    contentType: 'image/jpeg',
    byteSize: null,
    width: 600,
    height: 450,
  });
}

async function pendingHolder(b: Bench, bytes: Buffer): Promise<ImageRecord> {
  const holder = await arriving(b, 'holder.jpg');
  expect(await b.repository.claimContent(holder.originalKey, sha256(bytes))).toBeNull();
  return holder;
}

/** 'settled' when the promise has settled by the next turn of the event loop, else 'pending'. */
async function stateOf(promise: Promise<unknown>): Promise<'settled' | 'pending'> {
  const settled = promise.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  const pending = nextTurn().then(() => 'pending' as const);
  return Promise.race([settled, pending]);
}

describe('acceptFile on SQLite + directory storage', () => {
  it('stores a new file: the row as accepted, the object under a key with the detected extension, nothing left listening', async () => {
    const b = await bench();
    const bytes = fresh();
    const part = new Part(chunks(bytes, 3));
    const { reclaimer, counted } = countingReclaimer();
    const controller = new AbortController();
    const uploader = 'browser_0123456789-abc';

    // A JPEG under a PNG's name, exactly at the size limit, in three chunks.
    const accepted = await acceptFile(
      { filename: 'holiday.png', file: part },
      b.deps({ reclaimer, uploader }, { maxUploadBytes: bytes.length }),
      controller.signal,
    );

    expect(accepted.duplicate).toBe(false);
    const [row] = await b.rows();
    expect(accepted.record).toMatchObject({
      id: row!.id,
      filename: 'holiday.png',
      originalKey: row!.originalKey,
      contentType: 'image/jpeg',
      byteSize: bytes.length,
      width: 600,
      height: 450,
      uploader,
      annotationStatus: 'pending',
      thumbnailStatus: 'pending',
    });
    expect(row).toMatchObject({ byteSize: bytes.length, uploader, contentType: 'image/jpeg' });
    expect(row!.originalKey).toMatch(/^uploads\/[^/]+\/holiday\.jpg$/);
    expect(Buffer.from(await b.storage.originals.getBytes(row!.originalKey))).toEqual(bytes);
    expect((await b.storage.originals.head(row!.originalKey))?.contentType).toBe('image/jpeg');
    expect(part.finished).toBe(true);
    expect(part.destroyed).toBe(false);
    // A request's signal outlives its files: each file's abort listener is removed when it ends.
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
    await nextTurn();
    expect(counted.collections).toBeGreaterThan(0);
    expect(b.logs).toEqual([]);
  });

  it('records no uploader when none is given', async () => {
    const b = await bench();
    const accepted = await acceptFile(
      { filename: 'a.jpg', file: new Part([fresh()]) },
      b.deps(),
      new AbortController().signal,
    );
    expect(accepted.record.uploader).toBeNull();
    expect((await b.rows())[0]!.uploader).toBeNull();
  });

  it('the same bytes again: the stored image with duplicate: true; the second row withdrawn, nothing more stored, the part read to its end', async () => {
    const b = await bench();
    const bytes = fresh();
    const first = await acceptFile(
      { filename: 'first.jpg', file: new Part([bytes]) },
      b.deps(),
      new AbortController().signal,
    );
    const part = new Part(chunks(bytes, 2));

    const again = await acceptFile(
      { filename: 'again.jpg', file: part },
      b.deps(),
      new AbortController().signal,
    );

    expect(again.duplicate).toBe(true);
    expect(again.record).toMatchObject({
      id: first.record.id,
      filename: 'first.jpg',
      originalKey: first.record.originalKey,
      byteSize: bytes.length,
    });
    expect((await b.rows()).map((r) => r.id)).toEqual([first.record.id]);
    expect(await b.files('originals')).toEqual([first.record.originalKey]);
    expect(part.finished).toBe(true);
    expect(b.logs).toEqual([]);
  });

  it('bytes another upload is still storing, past the wait: refused with duplicate_in_progress (409), its row withdrawn, nothing stored, the part read off', async () => {
    const b = await bench();
    const bytes = fresh();
    const holder = await pendingHolder(b, bytes);
    const part = new Part(chunks(bytes, 2));

    const error = await failureOf(
      acceptFile({ filename: 'same.jpg', file: part }, b.deps(), new AbortController().signal),
    );

    expect(error).toBeInstanceOf(UploadRefusedError);
    expect(error).toMatchObject({ code: 'duplicate_in_progress', statusCode: 409 });
    expect((await b.rows()).map((r) => r.id)).toEqual([holder.id]);
    expect(await b.files('originals')).toEqual([]);
    expect(part.finished).toBe(true);
    expect(b.logs).toEqual([]);
  });

  /** The upload of `bytes` started with a holder pending, once it has found the holder still being stored. */
  async function waitingOnHolder(b: Bench, bytes: Buffer) {
    const holder = await pendingHolder(b, bytes);
    const sawPending = Promise.withResolvers<void>();
    const repository = withMethod(b.repository, 'claimContent', async (key, digest) => {
      const found = await b.repository.claimContent(key, digest);
      if (found !== null && found.byteSize === null) sawPending.resolve();
      return found;
    });
    const upload = acceptFile(
      { filename: 'same.jpg', file: new Part([bytes]) },
      b.deps({ repository }, { uploadDuplicateWaitMs: 20_000 }),
      new AbortController().signal,
    );
    await sawPending.promise;
    return { holder, upload };
  }

  it('bytes another upload is storing, which succeeds during the wait: answered with that image', async () => {
    const b = await bench();
    const bytes = fresh();
    const { holder, upload } = await waitingOnHolder(b, bytes);

    expect(await b.repository.recordOriginalSize(holder.originalKey, bytes.length)).toBe(true);

    const accepted = await upload;
    expect(accepted.duplicate).toBe(true);
    expect(accepted.record).toMatchObject({ id: holder.id, byteSize: bytes.length });
    expect((await b.rows()).map((r) => r.id)).toEqual([holder.id]);
    expect(await b.files('originals')).toEqual([]);
  });

  it('bytes another upload is storing, which is withdrawn during the wait: stored as a new image', async () => {
    const b = await bench();
    const bytes = fresh();
    const { holder, upload } = await waitingOnHolder(b, bytes);

    await b.repository.deleteByOriginalKey(holder.originalKey);

    const accepted = await upload;
    expect(accepted.duplicate).toBe(false);
    expect(accepted.record.id).not.toBe(holder.id);
    expect((await b.rows()).map((r) => r.id)).toEqual([accepted.record.id]);
    expect(await b.files('originals')).toEqual([accepted.record.originalKey]);
  });

  it('a part over maxUploadBytes that the parser did not flag: refused as too large, its row withdrawn, nothing stored, the part read off', async () => {
    const b = await bench();
    const bytes = fresh();
    const part = new Part(chunks(bytes, 3));
    const maxUploadBytes = bytes.length - 1;

    const error = await failureOf(
      acceptFile(
        { filename: 'big.jpg', file: part },
        b.deps({}, { maxUploadBytes }),
        new AbortController().signal,
      ),
    );

    expect(error).toBeInstanceOf(UploadRefusedError);
    expect(error).toMatchObject({ code: 'too_large', message: tooLarge(maxUploadBytes).message });
    expect(await b.rows()).toEqual([]);
    expect(await b.files('originals')).toEqual([]);
    expect(part.finished).toBe(true);
    expect(b.logs).toEqual([]);
  });

  it('a part the parser flagged truncated: refused as too large, and none of its bytes passed on to storage', async () => {
    const b = await bench();
    const part = new Part(chunks(fresh(), 2), { truncated: 'from-start' });
    const { reclaimer, counted } = countingReclaimer();

    const error = await failureOf(
      acceptFile({ filename: 'cut.jpg', file: part }, b.deps({ reclaimer }), new AbortController().signal),
    );

    expect(error).toMatchObject({ code: 'too_large' });
    await nextTurn();
    expect(counted.collections).toBe(0);
    expect(await b.rows()).toEqual([]);
    expect(await b.files('originals')).toEqual([]);
    expect(part.finished).toBe(true);
  });

  it('a part flagged truncated only as its last byte is read (exactly maxUploadBytes delivered): refused as too large', async () => {
    const b = await bench();
    const bytes = fresh();
    const part = new Part(chunks(bytes, 2), { truncated: 'at-end' });

    const error = await failureOf(
      acceptFile(
        { filename: 'cut.jpg', file: part },
        b.deps({}, { maxUploadBytes: bytes.length }),
        new AbortController().signal,
      ),
    );

    expect(error).toMatchObject({ code: 'too_large', message: tooLarge(bytes.length).message });
    expect(await b.rows()).toEqual([]);
    expect(await b.files('originals')).toEqual([]);
  });

  it('a file broken at its end: refused by the structure check, its row withdrawn, nothing stored', async () => {
    const b = await bench();
    const damaged = truncatedImages().find((d) => d.format === 'jpeg' && d.caughtBy === 'structure');
    const part = new Part(chunks(damaged!.bytes, 2));

    const error = await failureOf(
      acceptFile({ filename: 'cut.jpg', file: part }, b.deps(), new AbortController().signal),
    );

    expect(error).toBeInstanceOf(UploadRefusedError);
    expect(error).toMatchObject({ code: 'corrupt_image', statusCode: 400 });
    expect(await b.rows()).toEqual([]);
    expect(await b.files('originals')).toEqual([]);
    expect(part.finished).toBe(true);
    expect(b.logs).toEqual([]);
  });

  it('a file over the pixel limit: refused from its header, nothing written, the part read off', async () => {
    const b = await bench();
    const part = new Part(chunks(fresh(), 2));

    const error = await failureOf(
      acceptFile(
        { filename: 'wide.jpg', file: part },
        b.deps({}, { maxInputPixels: 600 * 450 - 1 }),
        new AbortController().signal,
      ),
    );

    expect(error).toMatchObject({ code: 'too_many_pixels' });
    expect(await b.rows()).toEqual([]);
    expect(part.finished).toBe(true);
  });

  it('a file refused from its first bytes: nothing written, no cleanup tried (nothing logged), the part read off', async () => {
    const b = await bench();
    const part = new Part(svgChunks());

    const error = await failureOf(
      acceptFile({ filename: 'circle.svg', file: part }, b.deps(), new AbortController().signal),
    );

    expect(error).toMatchObject({ code: 'unsupported_type' });
    expect(await b.rows()).toEqual([]);
    expect(part.finished).toBe(true);
    expect(part.destroyed).toBe(false);
    expect(b.logs).toEqual([]);
  });

  it('a refused file of a request already aborted is not read on', async () => {
    const b = await bench();
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const part = new Part(svgChunks());

    const error = await failureOf(
      acceptFile({ filename: 'circle.svg', file: part }, b.deps(), controller.signal),
    );

    expect(error).toMatchObject({ code: 'unsupported_type' });
    expect(part.finished).toBe(false);
  });

  it('a request already aborted: nothing is written, the part is destroyed, the abort is the failure', async () => {
    const b = await bench();
    const controller = new AbortController();
    const reason = new Error('client went away');
    controller.abort(reason);
    const part = new Part(chunks(fresh(), 2));
    let rowsWritten = 0;
    const repository = withMethod(b.repository, 'createPending', (image) => {
      rowsWritten++;
      return b.repository.createPending(image);
    });

    const error = await failureOf(
      acceptFile({ filename: 'a.jpg', file: part }, b.deps({ repository }), controller.signal),
    );

    expect(error).toBe(reason);
    expect(rowsWritten).toBe(0);
    expect(part.destroyed).toBe(true);
    expect(part.finished).toBe(false);
    expect(await b.files('originals')).toEqual([]);
    expect(b.logs).toEqual([]);
  });

  it('an abort while the body arrives: the part is destroyed with the abort’s reason, the row withdrawn, nothing stored', async () => {
    const b = await bench();
    const bytes = fresh();
    const part = new Part(chunks(bytes, 2), { holdBefore: 1 });
    const controller = new AbortController();
    const upload = acceptFile({ filename: 'a.jpg', file: part }, b.deps(), controller.signal);
    await part.held;
    // The row comes first: it exists while the body is still arriving.
    expect(await b.rows()).toHaveLength(1);

    const reason = new Error('client went away');
    controller.abort(reason);

    await failureOf(upload);
    expect(part.destroyError).toBe(reason);
    expect(part.finished).toBe(false);
    expect(await b.rows()).toEqual([]);
    expect(await b.files('originals')).toEqual([]);
    expect(b.logs).toEqual([]);
  });

  it('an abort whose reason is not an Error destroys the part with an "aborted" error', async () => {
    const b = await bench();
    const part = new Part(chunks(fresh(), 2), { holdBefore: 1 });
    const controller = new AbortController();
    const upload = acceptFile({ filename: 'a.jpg', file: part }, b.deps(), controller.signal);
    await part.held;

    controller.abort('shutdown');

    await failureOf(upload);
    expect(part.destroyError).toBeInstanceOf(Error);
    expect(part.destroyError?.message).toBe('aborted');
    expect(await b.rows()).toEqual([]);
  });

  it('a database that refuses the row: the upload fails with its error, the part is destroyed rather than read on, nothing stored', async () => {
    const b = await bench();
    onDatabase(
      b,
      `CREATE TRIGGER refuse_rows BEFORE INSERT ON images BEGIN SELECT RAISE(ABORT, 'no new rows'); END`,
    );
    const part = new Part(chunks(fresh(), 2));

    const error = await failureOf(
      acceptFile({ filename: 'a.jpg', file: part }, b.deps(), new AbortController().signal),
    );

    expect(error).not.toBeInstanceOf(UploadRefusedError);
    expect(error.message).toContain('no new rows');
    expect(part.destroyed).toBe(true);
    expect(part.finished).toBe(false);
    expect(await b.rows()).toEqual([]);
    expect(await b.files('originals')).toEqual([]);
    expect(b.logs).toEqual([]);
  });

  it('a row swept while its upload ran: the upload fails naming the key, and its object and thumbnail are withdrawn', async () => {
    const b = await bench();
    const bytes = fresh();
    // The sweep removes the row just after the bytes were claimed, and a worker has made a thumbnail.
    const repository = withMethod(b.repository, 'claimContent', async (key, digest) => {
      const found = await b.repository.claimContent(key, digest);
      await b.repository.deleteByOriginalKey(key);
      await b.storage.thumbnails.put(thumbnailKeyFor(key), jpeg, { contentType: 'image/jpeg' });
      return found;
    });

    const error = await failureOf(
      acceptFile(
        { filename: 'slow.jpg', file: new Part(chunks(bytes, 2)) },
        b.deps({ repository }),
        new AbortController().signal,
      ),
    );

    expect(error).not.toBeInstanceOf(UploadRefusedError);
    expect(error.message).toMatch(/swept/);
    expect(error.message).toContain('uploads/');
    expect(error.message).toContain('/slow.jpg');
    expect(await b.rows()).toEqual([]);
    expect(await b.files('originals')).toEqual([]);
    expect(await b.files('thumbnails')).toEqual([]);
    expect(b.logs).toEqual([]);
  });

  it('a database that cannot record the size after the put: the upload succeeds, and a warning names the key', async () => {
    const b = await bench();
    onDatabase(
      b,
      `CREATE TRIGGER refuse_sizes BEFORE UPDATE OF byte_size ON images BEGIN SELECT RAISE(ABORT, 'no sizes'); END`,
    );
    const bytes = fresh();

    const accepted = await acceptFile(
      { filename: 'a.jpg', file: new Part([bytes]) },
      b.deps(),
      new AbortController().signal,
    );

    expect(accepted.duplicate).toBe(false);
    const key = accepted.record.originalKey;
    expect((await b.rows())[0]).toMatchObject({ originalKey: key, byteSize: null });
    expect(await b.files('originals')).toEqual([key]);
    expect(b.logs).toHaveLength(1);
    expect(b.logs[0]).toMatchObject({ level: WARN, key });
    expect(b.logs[0]!.msg).toMatch(/size/);
    expect(JSON.stringify(b.logs[0]!.err)).toContain('no sizes');
  });

  it('a cleanup that fails is logged with the key and its error; the refusal stands', async () => {
    const b = await bench();
    onDatabase(
      b,
      `CREATE TRIGGER keep_rows BEFORE DELETE ON images BEGIN SELECT RAISE(ABORT, 'no deletes'); END`,
    );
    const bytes = fresh();
    const maxUploadBytes = bytes.length - 1;

    const error = await failureOf(
      acceptFile(
        { filename: 'big.jpg', file: new Part(chunks(bytes, 2)) },
        b.deps({}, { maxUploadBytes }),
        new AbortController().signal,
      ),
    );

    expect(error).toMatchObject({ code: 'too_large' });
    const [row] = await b.rows();
    // Only the row's withdrawal failed (the sweep removes it later); the object's succeeded.
    expect(b.logs).toHaveLength(1);
    expect(b.logs[0]).toMatchObject({ level: ERROR, key: row!.originalKey });
    expect(b.logs[0]!.msg).toMatch(/clean up/);
    expect(JSON.stringify(b.logs[0]!.err)).toContain('no deletes');
  });

  /** Storage whose originals' delete waits for `release()` (a cleanup in progress). */
  function slowDeletes(b: Bench) {
    const started = Promise.withResolvers<void>();
    const released = Promise.withResolvers<void>();
    const done = Promise.withResolvers<void>();
    const storage: Storage = {
      ...b.storage,
      originals: withMethod(b.storage.originals, 'delete', async (key) => {
        started.resolve();
        await released.promise;
        await b.storage.originals.delete(key);
        done.resolve();
      }),
    };
    return { storage, started: started.promise, release: () => released.resolve(), done: done.promise };
  }

  it('a failure of the upload itself: the answer waits for its cleanup', async () => {
    const b = await bench();
    const deletes = slowDeletes(b);
    const part = new Part(chunks(fresh(), 2), { holdBefore: 1 });
    const upload = acceptFile(
      { filename: 'a.jpg', file: part },
      b.deps({ storage: deletes.storage }),
      new AbortController().signal,
    );
    await part.held;
    const broken = new Error('the multipart body is malformed');

    part.destroy(broken);
    await deletes.started;

    expect(await stateOf(upload)).toBe('pending');
    deletes.release();
    expect(await failureOf(upload)).toBe(broken);
    expect(await b.rows()).toEqual([]);
  });

  it('a dependency that does not answer: the answer does not wait for the cleanup', async () => {
    const b = await bench();
    const deletes = slowDeletes(b);
    const part = new Part(chunks(fresh(), 2), { holdBefore: 1 });
    const upload = acceptFile(
      { filename: 'a.jpg', file: part },
      b.deps({ storage: deletes.storage }),
      new AbortController().signal,
    );
    await part.held;
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

    part.destroy(reset);

    // The answer comes while the cleanup's delete is still held (were it awaited, this would hang).
    expect(await failureOf(upload)).toBe(reset);
    await deletes.started;
    deletes.release();
    await deletes.done;
    expect(await b.rows()).toEqual([]);
  });
});

describe('acceptFile on S3 (s3rver)', () => {
  it('stores the object with the detected content type (S3 keeps only what the put sends)', async () => {
    const b = await bench();
    const s3 = await startS3Server(['accept-originals', 'accept-thumbnails']);
    cleanups.push(() => s3.stop());
    const config = loadConfig({
      DATA_DIR: path.dirname(b.databaseFile),
      ...s3.env({ originals: 'accept-originals', thumbnails: 'accept-thumbnails' }),
    });
    const storage = createStorage(config.storage, config.presign, {
      s3ClientConfig: { credentials: s3.credentials },
    });
    const bytes = fresh();

    const accepted = await acceptFile(
      { filename: 'holiday.png', file: new Part(chunks(bytes, 2)) },
      b.deps({ storage }),
      new AbortController().signal,
    );

    const key = accepted.record.originalKey;
    expect(key).toMatch(/\/holiday\.jpg$/);
    expect(await storage.originals.head(key)).toMatchObject({
      size: bytes.length,
      contentType: 'image/jpeg',
    });
    expect(Buffer.from(await storage.originals.getBytes(key))).toEqual(bytes);
  });
});

describe('claimContent on SQLite', () => {
  it('resolves when the bytes are new, and they are then the row’s', async () => {
    const b = await bench();
    const bytes = fresh();
    const mine = await arriving(b, 'mine.jpg');
    const other = await arriving(b, 'other.jpg');
    const signal = new AbortController().signal;

    await claimContent(b.repository, mine.originalKey, sha256(bytes), { waitMs: 0, signal });

    expect(await b.repository.claimContent(other.originalKey, sha256(bytes))).toMatchObject({ id: mine.id });
  });

  it('bytes of a stored image: DuplicateContentError naming that image', async () => {
    const b = await bench();
    const bytes = fresh();
    const holder = await pendingHolder(b, bytes);
    await b.repository.recordOriginalSize(holder.originalKey, bytes.length);
    const other = await arriving(b, 'other.jpg');

    const error = await failureOf(
      claimContent(b.repository, other.originalKey, sha256(bytes), {
        waitMs: 0,
        signal: new AbortController().signal,
      }),
    );

    expect(error).toBeInstanceOf(DuplicateContentError);
    expect(error.name).toBe('DuplicateContentError');
    expect(error.message).toContain(`image ${holder.id}`);
    expect((error as DuplicateContentError).existing).toMatchObject({
      id: holder.id,
      byteSize: bytes.length,
    });
  });

  it('bytes of an image still being stored, past the wait: refused with duplicate_in_progress and a reason', async () => {
    const b = await bench();
    const bytes = fresh();
    await pendingHolder(b, bytes);
    const other = uploadKey('other.jpg');
    await arriving(b, 'other.jpg', other);

    const error = await failureOf(
      claimContent(b.repository, other, sha256(bytes), { waitMs: 0, signal: new AbortController().signal }),
    );

    expect(error).toBeInstanceOf(UploadRefusedError);
    expect(error).toMatchObject({ code: 'duplicate_in_progress', statusCode: 409 });
    expect(error.message).toMatch(/again/);
  });

  it('an abort during the wait ends it', async () => {
    const b = await bench();
    const bytes = fresh();
    await pendingHolder(b, bytes);
    const other = uploadKey('other.jpg');
    await arriving(b, 'other.jpg', other);
    const controller = new AbortController();
    const sawPending = Promise.withResolvers<void>();
    const repository = withMethod(b.repository, 'claimContent', async (key, digest) => {
      const found = await b.repository.claimContent(key, digest);
      sawPending.resolve();
      return found;
    });

    const claim = claimContent(repository, other, sha256(bytes), {
      waitMs: 20_000,
      signal: controller.signal,
    });
    await sawPending.promise;
    controller.abort(new Error('shutting down'));

    expect(await failureOf(claim)).toMatchObject({ name: 'AbortError' });
  });
});
