import { setTimeout as sleep } from 'node:timers/promises';
import { MIGRATIONS } from '@annot/db';
import {
  createTestDatabase,
  mariaDbAvailable,
  type ServerProcess,
  startS3Server,
  startServer,
  type TestDatabase,
  type TestS3Server,
} from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BUCKETS = { originals: 'cluster-originals', thumbnails: 'cluster-thumbnails' };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The JSON lines the server printed whose msg is `message` (or starts with it). */
const logged = (server: ServerProcess, message: string) =>
  server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; [key: string]: unknown })
    .filter((line) => line.msg.startsWith(message));
/** Workers that have bound the port (Fastify's "Server listening at ..." line, one per process). */
const listening = (server: ServerProcess) => logged(server, 'Server listening at').length;

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error(`Gave up waiting: ${what}`);
}

/** The production entry (apps/web/src/main.ts) with WEB_WORKERS=2, on a fresh MariaDB database and s3rver. */
describe.runIf(await mariaDbAvailable())('the production entry with WEB_WORKERS=2', () => {
  let database: TestDatabase;
  let s3: TestS3Server;
  let server: ServerProcess;
  beforeAll(async () => {
    database = await createTestDatabase('web_cluster');
    s3 = await startS3Server([BUCKETS.originals, BUCKETS.thumbnails]);
    server = await startServer({
      entry: 'apps/web/src/main.ts',
      env: { ...s3.env(BUCKETS), DATABASE_URL: database.url, WEB_WORKERS: '2', LOG_LEVEL: 'info' },
      workers: 2,
    });
    // startServer returns once two workers exist and one answers; both must be listening here.
    await until('both workers to listen', () => listening(server) === 2);
  }, 90_000);
  afterAll(async () => {
    await server?.kill();
    await s3?.stop();
    await database?.drop();
  });

  it('migrates once, in the primary, before two workers serve', async () => {
    const migrated = logged(server, 'database schema is current');
    expect(migrated).toHaveLength(1);
    expect(migrated[0]).toMatchObject({ pid: server.pid, applied: MIGRATIONS.map((m) => m.version) });
    expect(server.servingPids()).toHaveLength(2);
    expect(server.servingPids()).not.toContain(server.pid);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('starts another worker when one dies, and keeps serving meanwhile', async () => {
    const [victim, survivor] = server.servingPids() as [number, number];
    process.kill(victim, 'SIGKILL');
    await until('the dead worker to be gone', () => !alive(victim));

    // The other worker answers while the replacement starts.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await until('a replacement worker', () => {
      const pids = server.servingPids();
      return pids.length === 2 && !pids.includes(victim);
    });
    expect(server.servingPids()).toContain(survivor);
    // (The line's own pid field, the dead worker's, overrides the logger's.)
    expect(logged(server, 'web process exited: starting another')).toEqual([
      expect.objectContaining({ pid: victim, signal: 'SIGKILL' }),
    ]);
    // The replacement listens and serves, without migrating again.
    await until('the replacement to listen', () => listening(server) === 3);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => fetch(`${server.url}/health`).then((r) => r.status)),
    );
    expect(statuses).toEqual(Array(6).fill(200));
    expect(logged(server, 'database schema is current')).toHaveLength(1);
  });

  it('stops the primary and every worker on SIGTERM', async () => {
    const pids = [server.pid, ...server.servingPids()];
    expect(pids).toHaveLength(3);

    await server.stop(); // SIGTERM to the primary; resolves when it has exited

    expect(server.exited).toBe(true);
    await until('every worker to exit', () => pids.every((pid) => !alive(pid)));
    expect(logged(server, 'stopping web processes')).toHaveLength(1);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
