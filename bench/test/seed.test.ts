import { loadConfig } from '@annot/config';
import { type ImageRecord, type ImageRepository, openRepository } from '@annot/db';
import { thumbnailKeyFor } from '@annot/object-keys';
import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMySql } from '../src/seed/mysql.ts';
import { generateRows } from '../src/seed/rows.ts';

describe('generateRows', () => {
  const rows = [...generateRows({ count: 2000, startAtMs: Date.UTC(2025, 0, 1), seed: 7 })];

  it('makes rows oldest first, with unique keys and realistic content', () => {
    expect(rows).toHaveLength(2000);
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.uploadedAtMs).toBeGreaterThanOrEqual(rows[i - 1]!.uploadedAtMs);
    expect(new Set(rows.map((r) => r.originalKey)).size).toBe(rows.length);
    for (const row of rows) {
      expect(row.originalKey).toMatch(/^uploads\/[0-9a-z]{26}\/[a-z0-9._-]+\.(jpg|png|webp|gif)$/);
      if (row.annotation !== null) expect(row.annotation.length).toBeGreaterThan(100);
      expect(row.thumbnailKey).toBe(
        row.thumbnailStatus === 'completed' ? thumbnailKeyFor(row.originalKey) : null,
      );
      expect(row.thumbnailError !== null).toBe(row.thumbnailStatus === 'failed');
    }
  });

  it('is mostly completed, with some pending and failed rows', () => {
    const count = (status: string) => rows.filter((r) => r.thumbnailStatus === status).length;
    expect(count('completed') / rows.length).toBeGreaterThan(0.9);
    expect(count('failed')).toBeGreaterThan(0);
    expect(count('pending')).toBeGreaterThan(0);
  });
});

describe.runIf(await mariaDbAvailable())('seedMySql on MariaDB', () => {
  let database: TestDatabase;
  let repository: ImageRepository;

  beforeAll(async () => {
    database = await createTestDatabase('bench_seed');
    // openRepository migrates: the seed writes into the schema the app uses.
    repository = await openRepository({ database: loadConfig({ DATABASE_URL: database.url }).database });
  });
  afterAll(async () => {
    await repository?.close();
    await database?.drop();
  });

  it('writes rows the repository pages through newest first, every row exactly once', async () => {
    const seeded = await seedMySql(database.url, { count: 300, startAtMs: Date.UTC(2025, 5, 1), seed: 3 });
    expect(seeded.rows).toBe(300);

    const seen: ImageRecord[] = [];
    let cursor: string | null = null;
    do {
      const page = await repository.listPage({ limit: 24, cursor });
      seen.push(...page.images);
      cursor = page.nextCursor;
    } while (cursor);

    expect(seen).toHaveLength(300);
    expect(new Set(seen.map((r) => r.id)).size).toBe(300);
    for (let i = 1; i < seen.length; i++) {
      const [newer, older] = [seen[i - 1]!, seen[i]!];
      const ordered =
        newer.uploadedAt > older.uploadedAt ||
        (+newer.uploadedAt === +older.uploadedAt && newer.id > older.id);
      expect(ordered).toBe(true);
    }
    const newest = seeded.written.at(-1)!;
    expect(seen[0]).toMatchObject({
      originalKey: newest.originalKey,
      filename: newest.filename,
      thumbnailKey: newest.thumbnailKey,
      annotationStatus: newest.annotationStatus,
    });
    expect(seen[0]!.uploadedAt.getTime()).toBe(newest.uploadedAtMs);
  });
});
