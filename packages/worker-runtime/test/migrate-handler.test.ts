/** The migration function's handler against MariaDB: applies what is pending, once. */
import { MIGRATIONS, schemaFingerprint } from '@annot/db';
import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrationHandler } from '../src/lambda/index.ts';
import { captureLogLines } from './support/lambda.ts';

describe.runIf(await mariaDbAvailable())('the migration function', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    captureLogLines();
    db = await createTestDatabase('wr_migrate');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('migrates an empty database to the newest version, then finds nothing to do', async () => {
    const migrateFn = createMigrationHandler({ env: { DATABASE_URL: db.url, LOG_LEVEL: 'warn' } });
    const newest = MIGRATIONS.at(-1)?.version;
    const schema = schemaFingerprint();
    await expect(migrateFn({ schema })).resolves.toEqual({
      applied: MIGRATIONS.map((m) => m.version),
      current: newest,
      schema,
    });
    await expect(migrateFn({ schema })).resolves.toEqual({ applied: [], current: newest, schema });
  });

  it('builds the database URL from the RDS-managed secret, as the workers do', async () => {
    const url = new URL(db.url);
    const fetched: string[] = [];
    const migrateFn = createMigrationHandler({
      env: {
        DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-x',
        DB_HOST: url.hostname,
        DB_PORT: url.port || '3306',
        DB_NAME: url.pathname.slice(1),
        LOG_LEVEL: 'warn',
      },
      fetchSecret: async (arn) => {
        fetched.push(arn);
        return JSON.stringify({ username: decodeURIComponent(url.username), password: url.password });
      },
    });
    await expect(migrateFn(undefined)).resolves.toMatchObject({ applied: [], schema: null });
    expect(fetched).toEqual(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-x']);
  });

  it('refuses a deployment that expects another schema than the image carries, before any database work', async () => {
    // No database is configured at all: the refusal comes first, so nothing is touched.
    const migrateFn = createMigrationHandler({ env: { LOG_LEVEL: 'warn', DATA_DIR: '/nonexistent' } });
    await expect(migrateFn({ schema: '0123456789abcdef' })).rejects.toThrow(
      `The migration function carries schema ${schemaFingerprint()}, but the deployment expects 0123456789abcdef: rebuild the thumbnailer image`,
    );
  });

  it('refuses a configuration without MySQL, naming what is missing', async () => {
    const migrateFn = createMigrationHandler({ env: { LOG_LEVEL: 'warn', DATA_DIR: '/nonexistent' } });
    await expect(migrateFn({})).rejects.toThrow(/needs a MySQL database/);
  });
});
