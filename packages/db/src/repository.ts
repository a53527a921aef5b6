import { filenameFromKey } from '@annot/object-keys';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { Driver, SqlValue } from './driver.ts';
import { DatabaseError, InvalidImageInputError } from './errors.ts';
import { buildQueries, type Queries } from './queries.ts';
import type {
  AnnotationResult,
  ImageRecord,
  ImageRepository,
  ImageStatus,
  NewImage,
  Page,
  StageFailure,
  ThumbnailResult,
} from './types.ts';
import { checkKey, clip, count, keyHash, LIMITS, optionalText, toRecord, toStatus } from './values.ts';

export const MAX_PAGE_SIZE = 1000;
/** Ids per `IN (...)` statement; counts are padded to powers of two to bound prepared statements. */
const STATUS_CHUNK = 128;

type Row = Record<string, unknown>;

/** ImageRepository over either dialect: the SQL comes from queries.ts, the I/O from the driver. */
export class SqlImageRepository implements ImageRepository {
  readonly dialect: 'mysql' | 'sqlite';
  readonly #driver: Driver;
  readonly #q: Queries;
  readonly #now: () => number;

  /** `now` (ms since the epoch) stamps uploaded_at/updated_at; tests pass a fixed clock. */
  constructor(driver: Driver, options: { now?: () => number } = {}) {
    this.#driver = driver;
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

  /** (filename, s3_key_original, hash): the head of every upsert's VALUES. */
  #head(filename: string, key: string): SqlValue[] {
    return [clip(filename, LIMITS.filename), key, keyHash(key)];
  }

  #times(): [SqlValue, SqlValue] {
    const now = this.#driver.dialect.toDbTime(this.#now());
    return [now, now];
  }

  async createPending(image: NewImage): Promise<ImageRecord> {
    const key = checkKey(image.originalKey, 'originalKey');
    const params = [
      ...this.#head(image.filename, key),
      optionalText(image.contentType, LIMITS.contentType),
      count(image.byteSize, 'byteSize'),
      count(image.width, 'width'),
      count(image.height, 'height'),
      ...this.#times(),
    ];
    return this.#run('createPending', key, async () => {
      await this.#driver.run(this.#q.createPending, params);
      const [row] = await this.#driver.all<Row>(this.#q.selectByHash, [keyHash(key)]);
      if (!row) throw new Error('the row vanished right after its insert (deleted concurrently?)');
      return toRecord(row, this.#driver.dialect);
    });
  }

  async recordOriginalSize(originalKey: string, byteSize: number): Promise<void> {
    const key = checkKey(originalKey, 'originalKey');
    const [, updatedAt] = this.#times();
    const params = [count(byteSize, 'byteSize'), updatedAt, keyHash(key)];
    await this.#run('recordOriginalSize', key, () => this.#driver.run(this.#q.recordOriginalSize, params));
  }

  async deleteByOriginalKey(originalKey: string): Promise<void> {
    const key = checkKey(originalKey, 'originalKey');
    await this.#run('deleteByOriginalKey', key, () => this.#driver.run(this.#q.deleteByHash, [keyHash(key)]));
  }

  async recordThumbnail(result: ThumbnailResult): Promise<void> {
    const key = checkKey(result.originalKey, 'originalKey');
    const params = [
      ...this.#head(filenameFromKey(key), key),
      checkKey(result.thumbnailKey, 'thumbnailKey'),
      optionalText(result.contentType, LIMITS.contentType),
      count(result.byteSize, 'byteSize'),
      count(result.width, 'width'),
      count(result.height, 'height'),
      ...this.#times(),
    ];
    await this.#run('recordThumbnail', key, () => this.#driver.run(this.#q.recordThumbnail, params));
  }

  async recordAnnotation(result: AnnotationResult): Promise<void> {
    const key = checkKey(result.originalKey, 'originalKey');
    const params = [
      ...this.#head(filenameFromKey(key), key),
      clip(result.annotation, LIMITS.annotation),
      clip(result.annotator, LIMITS.annotator),
      clip(result.model, LIMITS.annotationModel),
      ...this.#times(),
    ];
    await this.#run('recordAnnotation', key, () => this.#driver.run(this.#q.recordAnnotation, params));
  }

  async markFailed(failure: StageFailure): Promise<void> {
    const key = checkKey(failure.originalKey, 'originalKey');
    const sql = this.#q.markFailed[failure.stage];
    if (!sql) throw new InvalidImageInputError(`Unknown stage ${JSON.stringify(failure.stage)}`);
    const reason = clip(failure.reason === '' ? 'unknown error' : failure.reason, LIMITS.error);
    const params = [...this.#head(filenameFromKey(key), key), reason, ...this.#times()];
    await this.#run(`markFailed(${failure.stage})`, key, () => this.#driver.run(sql, params));
  }

  async getById(id: number): Promise<ImageRecord | null> {
    if (!Number.isSafeInteger(id) || id < 1) return null;
    const rows = await this.#run('getById', null, () => this.#driver.all<Row>(this.#q.selectById, [id]));
    return rows[0] ? toRecord(rows[0], this.#driver.dialect) : null;
  }

  async getByOriginalKey(originalKey: string): Promise<ImageRecord | null> {
    const key = checkKey(originalKey, 'originalKey');
    const rows = await this.#run('getByOriginalKey', key, () =>
      this.#driver.all<Row>(this.#q.selectByHash, [keyHash(key)]),
    );
    return rows[0] ? toRecord(rows[0], this.#driver.dialect) : null;
  }

  async listPage(options: { limit: number; cursor?: string | null; storedOnly?: boolean }): Promise<Page> {
    const { limit } = options;
    const storedOnly = options.storedOnly ?? false;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE} (got ${String(limit)})`);
    }
    const after = options.cursor ? decodeCursor(options.cursor) : null;
    const dialect = this.#driver.dialect;
    // One row more than asked tells whether an older page exists.
    const rows = await this.#run('listPage', null, () => {
      if (!after) return this.#driver.all<Row>(this.#q.firstPage(limit + 1, storedOnly), []);
      const at = dialect.toDbTime(after.uploadedAtMs);
      return this.#driver.all<Row>(this.#q.nextPage(limit + 1, storedOnly), [at, at, after.id]);
    });
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

  close(): Promise<void> {
    return this.#driver.close();
  }
}
