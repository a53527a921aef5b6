import { thumbnailKeyFor } from '@annot/object-keys';
import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DbLogger, type ImageRepository, openRepository } from '../src/index.ts';
import { mysqlConfig, newKey } from './helpers.ts';

const KEYS = 200;

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

describe.runIf(await mariaDbAvailable())('the web insert and both workers racing on MariaDB', () => {
  let db: TestDatabase;
  // One pool per role, as in production (web instance, thumbnailer Lambda, annotator Lambda):
  // 18 real connections in all, so the three writes for a key really run at the same time.
  let web: ImageRepository;
  let thumbnailer: ImageRepository;
  let annotator: ImageRepository;
  let retries = 0;
  const logger: DbLogger = { info() {}, warn: () => void retries++ };

  beforeAll(async () => {
    db = await createTestDatabase('db_race');
    const database = mysqlConfig(db.url, 6);
    web = await openRepository({ database, logger });
    [thumbnailer, annotator] = await Promise.all([
      openRepository({ database, logger, migrate: false }),
      openRepository({ database, logger, migrate: false }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([web?.close(), thumbnailer?.close(), annotator?.close()]);
    await db?.drop();
  });

  it(`leaves ${KEYS} rows, each worker's result recorded exactly when its write found the row, with no error reaching the caller`, async () => {
    const keys = Array.from({ length: KEYS }, (_, i) => newKey(`race ${i}.jpg`));
    // Whether each worker's write found the web's row (in production the row always comes first;
    // here the order is random, so some writes come before it and must record nothing).
    const found = keys.map(() => ({ thumbnail: false, annotation: false }));
    const writes = (key: string, i: number) => [
      () =>
        web.createPending({
          filename: `Race ü ${i}.jpg`,
          originalKey: key,
          contentType: 'image/jpeg',
          byteSize: 1000 + i,
          width: 600,
          height: 450,
        }),
      async () => {
        found[i]!.thumbnail = await thumbnailer.recordThumbnail({
          originalKey: key,
          thumbnailKey: thumbnailKeyFor(key),
          width: 1,
          height: 1,
        });
      },
      async () => {
        found[i]!.annotation = await annotator.recordAnnotation({
          originalKey: key,
          annotation: `Image ${i}`,
          annotator: 'local',
          model: 'v1',
        });
      },
    ];
    // Each key's three writes in a random order, adjacent in the queue so they overlap in time;
    // the keys themselves in a random order. Everything is started at once.
    const queue = shuffle(keys.map((_, i) => i)).flatMap((i) => shuffle(writes(keys[i]!, i)));
    const outcomes = await Promise.allSettled(queue.map((write) => write()));

    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failures.map((failure) => String(failure.reason))).toEqual([]);

    const connection = await mysql.createConnection({ uri: db.url });
    try {
      const [rows] = (await connection.query(
        `SELECT s3_key_original, filename, s3_key_thumbnail, annotation, annotator, thumbnail_status,
                annotation_status, byte_size, width FROM images`,
      )) as unknown as [Record<string, unknown>[]];
      expect(rows).toHaveLength(KEYS);
      const byKey = new Map(rows.map((row) => [row.s3_key_original, row]));
      keys.forEach((key, i) => {
        const { thumbnail, annotation } = found[i]!;
        expect(byKey.get(key)).toEqual({
          s3_key_original: key,
          filename: `Race ü ${i}.jpg`,
          s3_key_thumbnail: thumbnail ? thumbnailKeyFor(key) : null,
          annotation: annotation ? `Image ${i}` : null,
          annotator: annotation ? 'local' : null,
          thumbnail_status: thumbnail ? 'completed' : 'pending',
          annotation_status: annotation ? 'completed' : 'pending',
          byte_size: 1000 + i,
          // The web's checked width: the thumbnailer fills it only where the row has none.
          width: 600,
        });
      });
      // Both outcomes happened: the check above saw writes that found the row and writes that did not.
      const outcomes = found.flatMap(({ thumbnail, annotation }) => [thumbnail, annotation]);
      expect(new Set(outcomes)).toEqual(new Set([true, false]));
    } finally {
      await connection.end();
    }
    console.info(
      `race: ${queue.length} writes, ${found.filter((f) => f.thumbnail).length} thumbnails and ${found.filter((f) => f.annotation).length} annotations found their row, ${retries} lock-conflict retries inside the repository`,
    );
  });
});
