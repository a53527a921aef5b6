/**
 * Read-replica routing on MariaDB. Two databases stand in for the two endpoints: the "primary",
 * and a "replica" with a row of its own (so a read shows where it went), reached as a user who may
 * only SELECT (so a write sent to it fails instead of passing unseen).
 */
import { uploadKey } from '@annot/object-keys';
import {
  createReadOnlyUser,
  createTestDatabase,
  mariaDbAvailable,
  type ReadOnlyUser,
  type TestDatabase,
} from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageRepository, openRepository } from '../src/index.ts';
import { mysqlConfig } from './helpers.ts';

/** The primary's settings with a replica beside it. */
function withReplica(primaryUrl: string, replica: { url: string | undefined; host: string | undefined }) {
  const primary = mysqlConfig(primaryUrl);
  if (primary.kind !== 'mysql') throw new Error('expected MySQL settings');
  return { ...primary, replica };
}

const image = (filename: string) => ({
  filename,
  originalKey: uploadKey(filename),
  contentType: 'image/jpeg',
  byteSize: 1000,
  width: 10,
  height: 10,
});

describe.runIf(await mariaDbAvailable())('a repository with a read replica', () => {
  let primaryDb: TestDatabase;
  let replicaDb: TestDatabase;
  let readOnly: ReadOnlyUser;
  let repo: ImageRepository;

  beforeAll(async () => {
    primaryDb = await createTestDatabase('replica_p');
    replicaDb = await createTestDatabase('replica_r');
    // The replica's own copy of the schema, with a row the primary does not have.
    const seed = await openRepository({ database: mysqlConfig(replicaDb.url) });
    await seed.createPending(image('only-on-the-replica.jpg'));
    await seed.close();
    readOnly = await createReadOnlyUser(replicaDb);
    repo = await openRepository({
      database: withReplica(primaryDb.url, { url: readOnly.url, host: undefined }),
    });
  });

  afterAll(async () => {
    await repo?.close();
    await readOnly?.drop();
    await primaryDb?.drop();
    await replicaDb?.drop();
  });

  it('writes go to the primary (the replica user may not write at all)', async () => {
    const created = await repo.createPending(image('uploaded.jpg'));
    expect(created.id).toBeGreaterThan(0);
    expect(await repo.recordOriginalSize(created.originalKey, 1234)).toBe(true);
  });

  it('the stand-in replica refuses writes, so a write routed to it could not pass unseen', async () => {
    const direct = await openRepository({ database: mysqlConfig(readOnly.url), migrate: false });
    try {
      await expect(direct.createPending(image('refused.jpg'))).rejects.toThrow(/denied/i);
    } finally {
      await direct.close();
    }
  });

  it('the uploader’s own reads (one image, statuses) come from the primary', async () => {
    const page = await repo.listPage({ limit: 10, from: 'primary' });
    const mine = page.images.find((i) => i.filename === 'uploaded.jpg');
    expect(mine).toBeDefined();
    expect((await repo.getById(mine!.id))?.filename).toBe('uploaded.jpg');
    expect((await repo.statuses([mine!.id])).map((s) => s.id)).toEqual([mine!.id]);
  });

  it('list and search queries read the replica by default', async () => {
    const listed = await repo.listPage({ limit: 10 });
    expect(listed.images.map((i) => i.filename)).toEqual(['only-on-the-replica.jpg']);
    const searched = await repo.listPage({ limit: 10, search: 'replica' });
    expect(searched.images.map((i) => i.filename)).toEqual(['only-on-the-replica.jpg']);
    expect((await repo.listPage({ limit: 10, search: 'uploaded' })).images).toEqual([]);
  });

  it('from: primary reads the primary', async () => {
    const page = await repo.listPage({ limit: 10, from: 'primary' });
    expect(page.images.map((i) => i.filename)).toEqual(['uploaded.jpg']);
  });

  it('refuses to open with a replica that has no URL, and says how to give it one', async () => {
    await expect(
      openRepository({
        database: withReplica(primaryDb.url, { url: undefined, host: 'replica.internal' }),
        migrate: false,
      }),
    ).rejects.toThrow(/read replica has no URL: set DATABASE_READ_URL/);
  });
});
