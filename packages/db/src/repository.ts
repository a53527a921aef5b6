import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { Driver, SqlValue } from './driver.ts';
import { DatabaseError, InvalidImageInputError, isForeignKeyViolation, isUniqueViolation } from './errors.ts';
import { buildQueries, type Queries } from './queries.ts';
import { searchText, searchWords } from './search.ts';
import type {
  AnnotationResult,
  ClaimRequest,
  ImageRecord,
  ImageRepository,
  ImageStatus,
  ListOptions,
  NewImage,
  Page,
  RetryOutcome,
  Stage,
  StageClaim,
  StageFailure,
  Status,
  ThumbnailResult,
} from './types.ts';
import {
  checkKey,
  checkSafety,
  checkUploader,
  clip,
  count,
  keyHash,
  LIMITS,
  normaliseTags,
  optionalText,
  tagLabel,
  toRecord,
  toStatus,
} from './values.ts';

const STATUSES: readonly Status[] = ['pending', 'completed', 'failed'];

export const MAX_PAGE_SIZE = 1000;
/** The longest lease a claim may ask for: a day (a longer one is a unit mistake). */
const MAX_LEASE_MS = 86_400_000;
/** Ids per `IN (...)` statement; counts are padded to powers of two to bound prepared statements. */
const STATUS_CHUNK = 128;
/** Tries of claimContent when the image holding the bytes vanishes as it is read. */
const CLAIM_ATTEMPTS = 5;

type Row = Record<string, unknown>;

/** ImageRepository over either dialect: the SQL comes from queries.ts, the I/O from the driver. */
export class SqlImageRepository implements ImageRepository {
  readonly dialect: 'mysql' | 'sqlite';
  readonly #driver: Driver;
  /** The read replica's driver (listPage only), or the primary's. */
  readonly #reader: Driver;
  readonly #q: Queries;
  readonly #now: () => number;

  /**
   * `now` (ms since the epoch) stamps uploaded_at/updated_at; tests pass a fixed clock. `reader`
   * is a read replica of the same schema: only listPage reads it (see ListOptions.from), and
   * close() closes it too.
   */
  constructor(driver: Driver, options: { now?: () => number; reader?: Driver } = {}) {
    this.#driver = driver;
    this.#reader = options.reader ?? driver;
    this.dialect = driver.dialect.name;
    this.#q = buildQueries(driver.dialect);
    this.#now = options.now ?? Date.now;
  }

  async #run<T>(operation: string, key: string | null, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const subject = key === null ? '' : ` for ${JSON.stringify(key.slice(0, 200))}`;
      throw new DatabaseError(
        `${operation}${subject} failed on ${this.dialect}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  /** The repository's clock, as the dialect stores times. */
  #dbNow(): SqlValue {
    return this.#driver.dialect.toDbTime(this.#now());
  }

  /** Runs a worker's UPDATE of one row (its key hash is the last parameter); false when no row matched. */
  async #update(operation: string, key: string, sql: string, params: readonly SqlValue[]): Promise<boolean> {
    const { changes } = await this.#run(operation, key, () =>
      this.#driver.run(sql, [...params, keyHash(key)]),
    );
    return changes > 0;
  }

  async createPending(image: NewImage): Promise<ImageRecord> {
    const key = checkKey(image.originalKey, 'originalKey');
    const now = this.#dbNow();
    const filename = clip(image.filename, LIMITS.filename);
    // The row as insertPending writes it (its other columns keep their defaults: null, 'pending').
    const written = {
      filename,
      s3_key_original: key,
      content_type: optionalText(image.contentType, LIMITS.contentType),
      byte_size: count(image.byteSize, 'byteSize'),
      width: count(image.width, 'width'),
      height: count(image.height, 'height'),
      annotation_status: 'pending',
      thumbnail_status: 'pending',
      uploaded_at: now,
      updated_at: now,
      uploader: checkUploader(image.uploader),
    };
    const params = [
      written.filename,
      key,
      keyHash(key),
      written.content_type,
      written.byte_size,
      written.width,
      written.height,
      now, // uploaded_at
      now, // updated_at
      written.uploader,
      searchText(filename),
    ];
    return this.#run('createPending', key, async () => {
      try {
        // A new key (every upload's is): one INSERT, and the row is what was just written.
        const { insertId } = await this.#driver.run(this.#q.insertPending, params);
        return toRecord({ id: insertId, ...written }, this.#driver.dialect);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      // The key has a row already (createPending called again for it): merge, and read the result.
      await this.#driver.run(this.#q.createPending, params);
      const [row] = await this.#driver.all<Row>(this.#q.selectByHash, [keyHash(key)]);
      if (!row) throw new Error('the row vanished right after its insert (deleted concurrently?)');
      return toRecord(row, this.#driver.dialect);
    });
  }

  async recordOriginalSize(originalKey: string, byteSize: number): Promise<boolean> {
    const key = checkKey(originalKey, 'originalKey');
    const params = [count(byteSize, 'byteSize'), this.#dbNow()];
    return this.#update('recordOriginalSize', key, this.#q.recordOriginalSize, params);
  }

  async claimContent(originalKey: string, sha256: Uint8Array): Promise<ImageRecord | null> {
    const key = checkKey(originalKey, 'originalKey');
    if (!(sha256 instanceof Uint8Array) || sha256.byteLength !== 32) {
      throw new InvalidImageInputError('sha256 must be the 32 bytes of a SHA-256 digest');
    }
    const hash = Buffer.from(sha256.buffer, sha256.byteOffset, sha256.byteLength);
    // The holder may vanish between the refused UPDATE and the read (deleted, or its upload
    // withdrawn): then the bytes are free again, and the claim is tried again, a few times.
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#run('claimContent', key, async () => {
        try {
          const { changes } = await this.#driver.run(this.#q.claimContent, [hash, keyHash(key)]);
          if (changes === 0) throw new Error('the upload’s row is gone (withdrawn or swept)');
          return { claimed: true as const };
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
        const [row] = await this.#driver.all<Row>(this.#q.selectByContent, [hash]);
        return { claimed: false as const, holder: row ? toRecord(row, this.#driver.dialect) : null };
      });
      if (outcome.claimed) return null;
      if (outcome.holder) return outcome.holder;
      if (attempt >= CLAIM_ATTEMPTS) {
        throw new DatabaseError(
          `claimContent for ${JSON.stringify(key.slice(0, 200))} failed on ${this.dialect}: the bytes' holder kept changing`,
        );
      }
    }
  }

  async deleteByOriginalKey(originalKey: string): Promise<void> {
    const key = checkKey(originalKey, 'originalKey');
    await this.#run('deleteByOriginalKey', key, () => this.#driver.run(this.#q.deleteByHash, [keyHash(key)]));
  }

  recordThumbnail(result: ThumbnailResult): Promise<boolean> {
    const key = checkKey(result.originalKey, 'originalKey');
    return this.#update('recordThumbnail', key, this.#q.recordThumbnail, [
      checkKey(result.thumbnailKey, 'thumbnailKey'),
      optionalText(result.contentType, LIMITS.contentType),
      count(result.byteSize, 'byteSize'),
      count(result.width, 'width'),
      count(result.height, 'height'),
      this.#dbNow(),
    ]);
  }

  async recordAnnotation(result: AnnotationResult): Promise<boolean> {
    const key = checkKey(result.originalKey, 'originalKey');
    const annotation = clip(result.annotation, LIMITS.annotation);
    const tags = normaliseTags(result.tags);
    const text = result.textInImage?.trim() ? clip(result.textInImage.trim(), LIMITS.textInImage) : null;
    const params = [
      annotation,
      searchText(annotation),
      tags.length > 0 ? JSON.stringify(tags) : null,
      searchText(tags.map((tag) => tag.label).join(' ')),
      text,
      searchText(text),
      checkSafety(result.safety),
      clip(result.annotator, LIMITS.annotator),
      clip(result.model, LIMITS.annotationModel),
      this.#dbNow(),
    ];
    // The tags' rows for `tag=` first, the row's UPDATE (which completes the stage) last: a worker
    // stopped between them leaves the stage pending, so the annotation is done again (redelivery,
    // or the sweep) and the tags are written again; it never leaves a completed annotation whose
    // tags the filter does not know.
    const tagged = await this.#run('recordAnnotation(tags)', key, async () => {
      const [row] = await this.#driver.all<{ id: number }>(this.#q.selectIdByHash, [keyHash(key)]);
      if (!row) return false;
      const id = Number(row.id);
      await this.#driver.run(this.#q.deleteTags, [id]);
      if (tags.length === 0) return true;
      try {
        await this.#driver.run(
          this.#q.insertTags(tags.length),
          tags.flatMap((tag) => [id, tag.label, tag.confidence, tag.source]),
        );
      } catch (error) {
        // The row was deleted meanwhile (a withdrawn upload): its tags went with it.
        if (isForeignKeyViolation(error)) return false;
        throw error;
      }
      return true;
    });
    if (!tagged) return false;
    // A row deleted since takes its tags with it (ON DELETE CASCADE); this then matches nothing.
    return this.#update('recordAnnotation', key, this.#q.recordAnnotation, params);
  }

  markFailed(failure: StageFailure): Promise<boolean> {
    const key = checkKey(failure.originalKey, 'originalKey');
    const stage = checkStage(failure.stage);
    const reason = clip(failure.reason === '' ? 'unknown error' : failure.reason, LIMITS.error);
    return this.#update(`markFailed(${stage})`, key, this.#q.markFailed[stage], [reason, this.#dbNow()]);
  }

  async claimStage(request: ClaimRequest): Promise<StageClaim | null> {
    const key = checkKey(request.originalKey, 'originalKey');
    const stage = checkStage(request.stage);
    const { leaseMs } = request;
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 1 || leaseMs > MAX_LEASE_MS) {
      throw new InvalidImageInputError(
        `leaseMs must be an integer from 1 to ${MAX_LEASE_MS} (got ${String(leaseMs)})`,
      );
    }
    const now = this.#now();
    const claim: StageClaim = {
      originalKey: key,
      stage,
      token: randomUUID(),
      expiresAt: new Date(now + leaseMs),
    };
    const toDb = this.#driver.dialect.toDbTime;
    const { changes } = await this.#run(`claimStage(${stage})`, key, () =>
      this.#driver.run(this.#q.claimStage[stage], [
        toDb(now + leaseMs),
        claim.token,
        keyHash(key),
        toDb(now),
      ]),
    );
    return changes > 0 ? claim : null;
  }

  async releaseStage(claim: StageClaim): Promise<void> {
    const key = checkKey(claim.originalKey, 'originalKey');
    const stage = checkStage(claim.stage);
    await this.#run(`releaseStage(${stage})`, key, () =>
      this.#driver.run(this.#q.releaseStage[stage], [keyHash(key), claim.token]),
    );
  }

  async getById(id: number): Promise<ImageRecord | null> {
    if (!Number.isSafeInteger(id) || id < 1) return null;
    const rows = await this.#run('getById', null, () => this.#driver.all<Row>(this.#q.selectById, [id]));
    return rows[0] ? toRecord(rows[0], this.#driver.dialect) : null;
  }

  async releaseContent(id: number): Promise<void> {
    if (!Number.isSafeInteger(id) || id < 1) return;
    await this.#run('releaseContent', null, () => this.#driver.run(this.#q.releaseContent, [id]));
  }

  async deleteById(id: number): Promise<ImageRecord | null> {
    const record = await this.getById(id);
    if (!record) return null;
    const { changes } = await this.#run('deleteById', record.originalKey, () =>
      this.#driver.run(this.#q.deleteById, [id]),
    );
    // Zero: another delete took it between the read and this statement; that one reports it.
    return changes > 0 ? record : null;
  }

  async undoRetry(before: ImageRecord, stage: Stage): Promise<boolean> {
    const checked = checkStage(stage);
    const status = checked === 'thumbnail' ? before.thumbnailStatus : before.annotationStatus;
    const error = checked === 'thumbnail' ? before.thumbnailError : before.annotationError;
    if (status === 'pending') return false;
    const { changes } = await this.#run(`undoRetry(${checked})`, before.originalKey, () =>
      this.#driver.run(this.#q.undoRetry[checked], [status, error, before.id]),
    );
    return changes > 0;
  }

  async retryStages(id: number, stages: readonly Stage[]): Promise<RetryOutcome> {
    const wanted = [...new Set(stages.map(checkStage))].sort();
    if (wanted.length === 0) throw new InvalidImageInputError('retryStages needs at least one stage');
    if (!Number.isSafeInteger(id) || id < 1) return { outcome: 'missing' };
    const { changes } = await this.#run('retryStages', null, () =>
      this.#driver.run(this.#q.retryStages(wanted), [this.#dbNow(), id]),
    );
    const record = await this.getById(id);
    if (changes > 0 && record) return { outcome: 'retried', record };
    if (!record || record.byteSize === null) return { outcome: 'missing' };
    const busy = wanted.find(
      (stage) => (stage === 'thumbnail' ? record.thumbnailStatus : record.annotationStatus) === 'pending',
    );
    // No match, yet no requested stage pending now: a worker finished between the two statements.
    // Its stage was pending when the UPDATE ran, so "busy" is what happened.
    return { outcome: 'busy', stage: busy ?? wanted[0]! };
  }

  async staleUploads(before: Date, limit: number): Promise<ImageRecord[]> {
    checkLimit(limit);
    const rows = await this.#run('staleUploads', null, () =>
      this.#driver.all<Row>(this.#q.staleUploads(limit), [this.#driver.dialect.toDbTime(before.getTime())]),
    );
    return rows.map((row) => toRecord(row, this.#driver.dialect));
  }

  async deleteStaleUpload(originalKey: string, before: Date): Promise<boolean> {
    const key = checkKey(originalKey, 'originalKey');
    const { changes } = await this.#run('deleteStaleUpload', key, () =>
      this.#driver.run(this.#q.deleteStaleUpload, [
        keyHash(key),
        this.#driver.dialect.toDbTime(before.getTime()),
      ]),
    );
    return changes > 0;
  }

  async stalledImages(before: Date, limit: number): Promise<ImageRecord[]> {
    checkLimit(limit);
    const at = this.#driver.dialect.toDbTime(before.getTime());
    const found = new Map<number, ImageRecord>();
    for (const stage of ['thumbnail', 'annotation'] as const) {
      const rows = await this.#run(`stalledImages(${stage})`, null, () =>
        this.#driver.all<Row>(this.#q.stalledStage[stage](limit), [at]),
      );
      for (const row of rows) {
        const record = toRecord(row, this.#driver.dialect);
        found.set(record.id, record);
      }
    }
    return [...found.values()].sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime()).slice(0, limit);
  }

  async existingOriginalKeys(originalKeys: readonly string[]): Promise<Set<string>> {
    if (originalKeys.length === 0) return new Set();
    checkLimit(originalKeys.length);
    const byHash = new Map(
      originalKeys.map((key) => [keyHash(checkKey(key, 'originalKey')).toString('hex'), key]),
    );
    const hashes = [...byHash.keys()].map((hex) => Buffer.from(hex, 'hex'));
    // Padded to a power of two, as statuses() does, to bound the prepared statements.
    const size = 2 ** Math.ceil(Math.log2(hashes.length));
    const params = Array.from({ length: size }, (_, i) => hashes[Math.min(i, hashes.length - 1)]!);
    const rows = await this.#run('existingOriginalKeys', null, () =>
      this.#driver.all<{ hash: Uint8Array }>(this.#q.existingHashes(size), params),
    );
    return new Set(rows.map((row) => byHash.get(Buffer.from(row.hash).toString('hex'))!));
  }

  async markRenotified(originalKey: string): Promise<void> {
    const key = checkKey(originalKey, 'originalKey');
    await this.#update('markRenotified', key, this.#q.markRenotified, [this.#dbNow()]);
  }

  async getByOriginalKey(originalKey: string): Promise<ImageRecord | null> {
    const key = checkKey(originalKey, 'originalKey');
    const rows = await this.#run('getByOriginalKey', key, () =>
      this.#driver.all<Row>(this.#q.selectByHash, [keyHash(key)]),
    );
    return rows[0] ? toRecord(rows[0], this.#driver.dialect) : null;
  }

  async listPage(options: ListOptions): Promise<Page> {
    const { limit } = options;
    const storedOnly = options.storedOnly ?? false;
    checkLimit(limit);
    const status = options.status ?? null;
    if (status !== null && !STATUSES.includes(status)) {
      throw new InvalidImageInputError(`Unknown status ${JSON.stringify(status)}`);
    }
    const tag = options.tag?.trim() ? tagLabel(options.tag) : null;
    // Blank is no search; anything else must hold a word (InvalidSearchError otherwise).
    const search = options.search?.trim() ? searchWords(options.search) : null;
    const after = options.cursor ? decodeCursor(options.cursor) : null;
    const reader = options.from === 'primary' ? this.#driver : this.#reader;
    const dialect = this.#driver.dialect;
    const statusParams: SqlValue[] = [...(status === null ? [] : [status]), ...(tag === null ? [] : [tag])];
    const at = after ? dialect.toDbTime(after.uploadedAtMs) : null;
    const cursorParams: SqlValue[] = after ? [at, at, after.id] : [];
    // One row more than asked tells whether an older page exists.
    if (search !== null && dialect.searchWindowRows > 0) {
      // A frequent word: its page is among the newest rows (see recentMatches in queries.ts).
      const sql = this.#q.recentMatches(limit + 1, dialect.searchWindowRows, search.length, {
        storedOnly,
        status: status !== null,
        tag: tag !== null,
        after: after !== null,
      });
      const patterns = search.map((word) => `% ${word}%`);
      const recent = await this.#run('listPage', null, () =>
        reader.all<Row>(sql, [...patterns, ...statusParams, ...cursorParams]),
      );
      if (recent.length > limit) return this.#page(recent, limit);
    }
    const params = [
      ...statusParams,
      ...(search === null ? [] : [dialect.searchQuery(search)]),
      ...cursorParams,
    ];
    const sql = this.#q.listPage(limit + 1, {
      storedOnly,
      status: status !== null,
      tag: tag !== null,
      search: search !== null,
      after: after !== null,
    });
    const rows = await this.#run('listPage', null, () => reader.all<Row>(sql, params));
    return this.#page(rows, limit);
  }

  /** A page of at most `limit` rows from `rows` (one more tells that an older page exists). */
  #page(rows: Row[], limit: number): Page {
    const dialect = this.#driver.dialect;
    const images = rows.slice(0, limit).map((row) => toRecord(row, dialect));
    const last = images.at(-1);
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor({ uploadedAtMs: last.uploadedAt.getTime(), id: last.id })
        : null;
    return { images, nextCursor };
  }

  async statuses(ids: readonly number[]): Promise<ImageStatus[]> {
    for (const id of ids) {
      if (!Number.isSafeInteger(id))
        throw new InvalidImageInputError(`Image ids must be integers (got ${String(id)})`);
    }
    const wanted = [...new Set(ids)].filter((id) => id > 0);
    const found = new Map<number, ImageStatus>();
    for (let start = 0; start < wanted.length; start += STATUS_CHUNK) {
      const chunk = wanted.slice(start, start + STATUS_CHUNK);
      const size = 2 ** Math.ceil(Math.log2(chunk.length));
      const params = Array.from({ length: size }, (_, i) => chunk[Math.min(i, chunk.length - 1)]!);
      const rows = await this.#run('statuses', null, () =>
        this.#driver.all<Row>(this.#q.statuses(size), params),
      );
      for (const row of rows) {
        const status = toStatus(row, this.#driver.dialect);
        found.set(status.id, status);
      }
    }
    return wanted.flatMap((id) => found.get(id) ?? []);
  }

  async ping(): Promise<void> {
    await this.#run('ping', null, () => this.#driver.all(this.#q.ping, []));
  }

  async close(): Promise<void> {
    try {
      if (this.#reader !== this.#driver) await this.#reader.close();
    } finally {
      await this.#driver.close();
    }
  }
}

function checkStage(stage: Stage): Stage {
  if (stage !== 'thumbnail' && stage !== 'annotation') {
    throw new InvalidImageInputError(`Unknown stage ${JSON.stringify(stage)}`);
  }
  return stage;
}

/** Limits are written into the SQL (see queries.ts), so they are checked first. */
function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE} (got ${String(limit)})`);
  }
}
