import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '@annot/config';
import { mariaDbAvailable, TEST_MYSQL_URL } from '@annot/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DatabaseError,
  type ImageRecord,
  type ImageRepository,
  InvalidImageInputError,
  MAX_PAGE_SIZE,
  mysqlDialect,
  openRepository,
  type Stage,
  type Status,
  sqliteDialect,
} from '../src/index.ts';
import { mysqlConfig, newKey, pending } from './helpers.ts';

/**
 * What the repository says when it cannot do what it is asked: a refused argument names itself
 * (InvalidImageInputError, RangeError), before any statement runs; a failed statement is a
 * DatabaseError naming the operation, its key (at most 200 characters of it) and the dialect,
 * with the driver's error as its cause. The repositories here are closed, so every statement
 * fails with the real driver's own error; no schema is needed (migrate: false).
 */
const dialects: { name: 'sqlite' | 'mysql'; available: boolean; config: () => Promise<DatabaseConfig> }[] = [
  {
    name: 'sqlite',
    available: true,
    config: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'annot-db-errors-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return { kind: 'sqlite', path: path.join(dir, 'images.db') };
    },
  },
  { name: 'mysql', available: await mariaDbAvailable(), config: async () => mysqlConfig(TEST_MYSQL_URL) },
];
const cleanups: (() => Promise<void>)[] = [];

describe.each(dialects)('a closed $name repository', ({ name, available, config }) => {
  let repo: ImageRepository;

  beforeEach(async ({ skip }) => {
    if (!available) skip();
    repo = await openRepository({ database: await config(), migrate: false });
    await repo.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** The message a statement's failure gives: the operation, the key if any, the dialect. */
  const failed = (operation: string, key?: string) =>
    new RegExp(
      `^${escapeRegExp(operation)}${key === undefined ? '' : ` for ${escapeRegExp(JSON.stringify(key.slice(0, 200)))}`} failed on ${name}: .`,
    );

  it('wraps the driver’s error in a DatabaseError that names the operation, the key and the dialect', async () => {
    // A long key: the message holds its first 200 characters only.
    const key = `uploads/${'k'.repeat(400)}.jpg`;
    const error = await repo.createPending(pending(key)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).message).toMatch(failed('createPending', key));
    expect((error as DatabaseError).message).not.toContain('k'.repeat(200));
    expect((error as DatabaseError).cause).toBeInstanceOf(Error);
    expect((error as DatabaseError).message).toContain(((error as DatabaseError).cause as Error).message);
  });

  it('names every operation, with its key when it has one', async () => {
    const key = newKey();
    const sha = new Uint8Array(32);
    const claim = { originalKey: key, stage: 'annotation' as const, token: 't', expiresAt: new Date() };
    const before: Partial<ImageRecord> = {
      id: 7,
      originalKey: key,
      thumbnailStatus: 'failed',
      thumbnailError: 'x',
    };
    const calls: [operation: string, key: string | undefined, call: () => Promise<unknown>][] = [
      ['recordOriginalSize', key, () => repo.recordOriginalSize(key, 1)],
      ['claimContent', key, () => repo.claimContent(key, sha)],
      ['deleteByOriginalKey', key, () => repo.deleteByOriginalKey(key)],
      [
        'recordThumbnail',
        key,
        () => repo.recordThumbnail({ originalKey: key, thumbnailKey: 'thumbnails/t.jpg' }),
      ],
      [
        'recordAnnotation(tags)',
        key,
        () => repo.recordAnnotation({ originalKey: key, annotation: 'a', annotator: 'x', model: 'm' }),
      ],
      [
        'markFailed(thumbnail)',
        key,
        () => repo.markFailed({ originalKey: key, stage: 'thumbnail', reason: 'r' }),
      ],
      [
        'claimStage(annotation)',
        key,
        () => repo.claimStage({ originalKey: key, stage: 'annotation', leaseMs: 1 }),
      ],
      ['releaseStage(annotation)', key, () => repo.releaseStage(claim)],
      ['getById', undefined, () => repo.getById(1)],
      ['releaseContent', undefined, () => repo.releaseContent(1)],
      ['undoRetry(thumbnail)', key, () => repo.undoRetry(before as ImageRecord, 'thumbnail')],
      ['retryStages', undefined, () => repo.retryStages(1, ['thumbnail'])],
      ['staleUploads', undefined, () => repo.staleUploads(new Date(), 1)],
      ['deleteStaleUpload', key, () => repo.deleteStaleUpload(key, new Date())],
      ['stalledImages(thumbnail)', undefined, () => repo.stalledImages(new Date(), 1)],
      ['existingOriginalKeys', undefined, () => repo.existingOriginalKeys([key])],
      ['markRenotified', key, () => repo.markRenotified(key)],
      ['getByOriginalKey', key, () => repo.getByOriginalKey(key)],
      ['listPage', undefined, () => repo.listPage({ limit: 1 })],
      ['listPage', undefined, () => repo.listPage({ limit: 1, search: 'kite' })],
      ['statuses', undefined, () => repo.statuses([1])],
      ['ping', undefined, () => repo.ping()],
    ];
    for (const [operation, subject, call] of calls) {
      const error = await call().then(
        () => new Error(`${operation} resolved on a closed repository`),
        (caught: unknown) => caught,
      );
      expect(error, operation).toBeInstanceOf(DatabaseError);
      expect((error as Error).message, operation).toMatch(failed(operation, subject));
    }
  });

  it('answers without a statement what needs none: ids that cannot exist, no ids, no keys', async () => {
    for (const id of [0, -1, 1.5, Number.NaN]) {
      expect(await repo.getById(id)).toBeNull();
      await expect(repo.releaseContent(id)).resolves.toBeUndefined();
      expect(await repo.retryStages(id, ['thumbnail'])).toEqual({ outcome: 'missing' });
      expect(await repo.deleteById(id)).toBeNull();
    }
    expect(await repo.statuses([0, -5])).toEqual([]);
    expect(await repo.existingOriginalKeys([])).toEqual(new Set());
    // A stage that was pending before the retry was not changed by it: nothing to undo.
    const before: Partial<ImageRecord> = { id: 1, originalKey: newKey(), annotationStatus: 'pending' };
    expect(await repo.undoRetry(before as ImageRecord, 'annotation')).toBe(false);
  });

  it('refuses a bad argument with a message that names it, before any statement', async () => {
    const key = newKey();
    const refusals: [call: () => Promise<unknown>, message: string][] = [
      [() => repo.createPending(pending('')), 'originalKey must be 1 to 1024 characters (got 0)'],
      [
        () => repo.createPending({ ...pending(key), byteSize: -1 }),
        'byteSize must be a non-negative integer (got -1)',
      ],
      [
        () => repo.createPending({ ...pending(key), width: 1.5 }),
        'width must be a non-negative integer (got 1.5)',
      ],
      [
        () => repo.createPending({ ...pending(key), height: -2 }),
        'height must be a non-negative integer (got -2)',
      ],
      [() => repo.recordOriginalSize('', 1), 'originalKey must be'],
      [() => repo.recordOriginalSize(key, -1), 'byteSize must be a non-negative integer'],
      [() => repo.claimContent('', new Uint8Array(32)), 'originalKey must be'],
      [() => repo.claimContent(key, new Uint8Array(31)), 'sha256 must be the 32 bytes of a SHA-256 digest'],
      [() => repo.deleteByOriginalKey(''), 'originalKey must be'],
      [() => repo.recordThumbnail({ originalKey: '', thumbnailKey: 't' }), 'originalKey must be'],
      [() => repo.recordThumbnail({ originalKey: key, thumbnailKey: '' }), 'thumbnailKey must be'],
      [
        () => repo.recordThumbnail({ originalKey: key, thumbnailKey: 't', byteSize: -1 }),
        'byteSize must be a non-negative integer',
      ],
      [
        () => repo.recordThumbnail({ originalKey: key, thumbnailKey: 't', width: -1 }),
        'width must be a non-negative integer',
      ],
      [
        () => repo.recordThumbnail({ originalKey: key, thumbnailKey: 't', height: -1 }),
        'height must be a non-negative integer',
      ],
      [
        () => repo.recordAnnotation({ originalKey: '', annotation: 'a', annotator: 'x', model: 'm' }),
        'originalKey must be',
      ],
      [() => repo.markFailed({ originalKey: '', stage: 'thumbnail', reason: 'r' }), 'originalKey must be'],
      [
        () => repo.markFailed({ originalKey: key, stage: 'original' as Stage, reason: 'r' }),
        'Unknown stage "original"',
      ],
      [() => repo.claimStage({ originalKey: '', stage: 'thumbnail', leaseMs: 1 }), 'originalKey must be'],
      [
        () => repo.claimStage({ originalKey: key, stage: 'thumbnail', leaseMs: 0 }),
        'leaseMs must be an integer from 1 to 86400000 (got 0)',
      ],
      [
        () => repo.releaseStage({ originalKey: '', stage: 'thumbnail', token: 't', expiresAt: new Date() }),
        'originalKey must be',
      ],
      [() => repo.retryStages(1, []), 'retryStages needs at least one stage'],
      [() => repo.deleteStaleUpload('', new Date()), 'originalKey must be'],
      [() => repo.existingOriginalKeys([key, '']), 'originalKey must be'],
      [() => repo.markRenotified(''), 'originalKey must be'],
      [() => repo.getByOriginalKey(''), 'originalKey must be'],
      [() => repo.listPage({ limit: 1, status: 'done' as Status }), 'Unknown status "done"'],
      [() => repo.statuses([1, 2.5]), 'Image ids must be integers (got 2.5)'],
    ];
    for (const [call, message] of refusals) {
      // Some methods refuse synchronously (they are not async): both count.
      const error = await Promise.resolve()
        .then(call)
        .then(
          () => new Error(`resolved, expected the refusal ${message}`),
          (caught: unknown) => caught,
        );
      expect(error, message).toBeInstanceOf(InvalidImageInputError);
      expect((error as Error).message, message).toContain(message);
      expect((error as Error).message.startsWith(message.slice(0, 12)), message).toBe(true);
    }
  });

  it('refuses a limit it would write into the SQL unless it is an integer from 1 to MAX_PAGE_SIZE', async () => {
    const tooMany = Array.from({ length: MAX_PAGE_SIZE + 1 }, () => newKey());
    const calls: [call: () => Promise<unknown>, got: string][] = [
      [() => repo.listPage({ limit: 0 }), '0'],
      [() => repo.staleUploads(new Date(), 0), '0'],
      [() => repo.staleUploads(new Date(), MAX_PAGE_SIZE + 1), String(MAX_PAGE_SIZE + 1)],
      [() => repo.stalledImages(new Date(), 1.5), '1.5'],
      [() => repo.existingOriginalKeys(tooMany), String(MAX_PAGE_SIZE + 1)],
    ];
    for (const [call, got] of calls) {
      await expect(call()).rejects.toThrow(
        new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE} (got ${got})`),
      );
    }
  });

  it('closes once: a second close is harmless', async () => {
    await expect(repo.close()).resolves.toBeUndefined();
  });
});

describe('the dialects’ times', () => {
  it('read back what they write, to the millisecond, in UTC', () => {
    const ms = Date.UTC(2024, 1, 29, 23, 59, 58, 987);
    expect(mysqlDialect.toDbTime(ms)).toBe('2024-02-29 23:59:58.987');
    expect(mysqlDialect.fromDbTime('2024-02-29 23:59:58.987').getTime()).toBe(ms);
    expect(sqliteDialect.toDbTime(ms)).toBe(ms);
    expect(sqliteDialect.fromDbTime(ms).getTime()).toBe(ms);
    expect(sqliteDialect.fromDbTime(String(ms)).getTime()).toBe(ms);
  });

  it('refuse a stored value that is not a time, naming it', () => {
    expect(() => mysqlDialect.fromDbTime('yesterday')).toThrow(
      new TypeError('Unreadable DATETIME value yesterday'),
    );
    expect(() => sqliteDialect.fromDbTime('yesterday')).toThrow(
      new TypeError('Unreadable time value yesterday'),
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
