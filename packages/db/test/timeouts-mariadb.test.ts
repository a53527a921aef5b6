import {
  createTestDatabase,
  failureOf,
  mariaDbAvailable,
  startTcpProxy,
  type TcpProxy,
  type TestDatabase,
} from '@annot/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, type ImageRepository, openRepository } from '../src/index.ts';
import { mysqlConfig } from './helpers.ts';

const TIMEOUT_MS = 400;
const POOL_SIZE = 2;

/** The code of the driver error in the repository's DatabaseError `operation` failed with. */
async function failure(operation: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  const error = await failureOf(operation);
  expect(error).toBeInstanceOf(DatabaseError);
  const cause = error.cause as { code?: unknown; message: string };
  return { code: cause.code, message: cause.message };
}

/**
 * Pings until one succeeds, at most a few times: once the server is back, a pooled connection
 * whose end the pool has not noticed yet may fail one statement (at most one per connection, as
 * the pool then drops it), and a connection still being made while frozen may run out first.
 */
async function attemptsUntilAnswered(repo: ImageRepository): Promise<string[]> {
  const attempts: string[] = [];
  for (let i = 0; i < POOL_SIZE + 2 && attempts.at(-1) !== 'ok'; i++) {
    attempts.push(
      await repo.ping().then(
        () => 'ok',
        (error: Error) => error.message,
      ),
    );
  }
  return attempts;
}

describe.runIf(await mariaDbAvailable())('MySQL statements against a server that stops answering', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let repo: ImageRepository;
  beforeAll(async () => {
    db = await createTestDatabase('db_timeouts');
    await (await openRepository({ database: mysqlConfig(db.url) })).close();
    const url = new URL(db.url);
    proxy = await startTcpProxy({ targetHost: url.hostname, targetPort: Number(url.port || 3306) });
    url.host = `127.0.0.1:${proxy.port}`;
    repo = await openRepository({
      database: { ...mysqlConfig(url.toString(), POOL_SIZE), queryTimeoutMs: TIMEOUT_MS },
      migrate: false,
    });
  });
  afterEach(() => proxy.restore());
  afterAll(async () => {
    await repo?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('a frozen server fails each statement with a timeout, and its connections are destroyed, not pooled', async () => {
    // Both pooled connections open and idle.
    await Promise.all([repo.ping(), repo.ping()]);
    expect(proxy.connections).toBe(2);
    await proxy.drop();

    // Two on the pooled connections, two waiting for one of them, two more after those.
    const results = await Promise.all(Array.from({ length: 6 }, () => failure(repo.listPage({ limit: 5 }))));
    // Each ended by a timeout (none by anything else), those on a connection by the statement's.
    expect(new Set(results.map((r) => r.code))).toEqual(new Set(['PROTOCOL_SEQUENCE_TIMEOUT', 'ETIMEDOUT']));
    for (const { code, message } of results) {
      if (code === 'PROTOCOL_SEQUENCE_TIMEOUT')
        expect(message).toBe(`The database did not answer within ${TIMEOUT_MS} ms`);
    }
    await proxy.restore();
    // What the frozen connections were sent is lost for good: a pool that kept one would time
    // out on it again and again.
    expect(await attemptsUntilAnswered(repo)).toContain('ok');
  });

  it('a server that refuses connections fails statements at once, and they succeed again once it is back', async () => {
    await proxy.refuse();
    const { code } = await failure(repo.ping());
    // Refused or reset, not timed out: nothing waited for the timeout.
    expect(['ECONNREFUSED', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST']).toContain(code);

    await proxy.restore();
    expect(await attemptsUntilAnswered(repo)).toContain('ok');
  });
});
