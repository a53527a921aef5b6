// The production web tier (`node --expose-gc apps/web/src/main.ts`, one process) on a fresh
// MariaDB database and s3rver, each reached through a TCP proxy the scenarios refuse or freeze,
// with the short timeouts of contract.ts. The process can be killed (SIGKILL) and started again
// on the same port, and what the system holds is read around it (holdings.ts).
import {
  createTestDatabase,
  freePort,
  type ServerProcess,
  startS3Server,
  startServer,
  startTcpProxy,
  type TcpProxy,
  type TestS3Server,
} from '@annot/testing';
import { afterAll, beforeAll } from 'vitest';
import { settingsEnv } from './contract.ts';
import { createInspector, type Inspector } from './holdings.ts';
import { RequestLog } from './requests.ts';

export const BUCKETS = { originals: 'faults-originals', thumbnails: 'faults-thumbnails' } as const;

export interface FaultySystem {
  /** http://127.0.0.1:<port>, the same across restarts. */
  readonly url: string;
  /** The proxy between the web tier and MariaDB. */
  readonly database: TcpProxy;
  /** The proxy between the web tier and s3rver. */
  readonly storage: TcpProxy;
  readonly s3: TestS3Server;
  /** mysql:// URL of the database, straight (not through the proxy). */
  readonly databaseUrl: string;
  /** The web process running now (or the last one, once killed). */
  readonly web: ServerProcess;
  readonly inspector: Inspector;
  /** A new log for a scenario's requests to the web tier. */
  requests(): RequestLog;
  /** SIGKILL: the process ends at once, whatever it was doing. */
  kill(): Promise<void>;
  /** Starts the web tier again on the same port (after kill(); kills it first if it still runs). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultySystem(): Promise<FaultySystem> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'could not stop the system under test cleanly');
  };
  try {
    const database = await createTestDatabase('faults');
    cleanups.push(() => database.drop());
    const s3 = await startS3Server([BUCKETS.originals, BUCKETS.thumbnails]);
    cleanups.push(() => s3.stop());

    const direct = new URL(database.url);
    const databaseProxy = await startTcpProxy({
      targetHost: direct.hostname,
      targetPort: Number(direct.port || 3306),
    });
    cleanups.push(() => databaseProxy.close());
    const s3Direct = new URL(s3.endpoint);
    const storageProxy = await startTcpProxy({
      targetHost: s3Direct.hostname,
      targetPort: Number(s3Direct.port),
    });
    cleanups.push(() => storageProxy.close());

    const proxied = new URL(database.url);
    proxied.hostname = databaseProxy.host;
    proxied.port = String(databaseProxy.port);
    const port = await freePort();
    const env = {
      ...s3.env(BUCKETS),
      S3_ENDPOINT: `http://${storageProxy.host}:${storageProxy.port}`,
      DATABASE_URL: proxied.toString(),
      ...settingsEnv(),
      WEB_WORKERS: '1',
      // Every gallery request reaches the database, so a fault shows on the first one.
      GALLERY_CACHE_MS: '0',
      LOG_LEVEL: 'warn',
      PORT: String(port),
    };
    const start = () => startServer({ entry: 'apps/web/src/main.ts', env, timeoutMs: 30_000 });
    let web = await start();
    cleanups.push(() => web.stop());
    const inspector = createInspector({ databaseUrl: database.url, s3, bucket: BUCKETS.originals });
    cleanups.push(() => inspector.close());

    return {
      url: web.url,
      database: databaseProxy,
      storage: storageProxy,
      s3,
      databaseUrl: database.url,
      get web() {
        return web;
      },
      inspector,
      requests: () => new RequestLog(web.url),
      kill: () => web.kill(),
      async restart() {
        await web.kill();
        web = await start();
      },
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/**
 * Starts a FaultySystem before the enclosing describe block's tests and stops it after them;
 * `started` receives it.
 */
export function withFaultySystem(started: (system: FaultySystem) => void): void {
  let system: FaultySystem | undefined;
  beforeAll(async () => {
    system = await startFaultySystem();
    started(system);
  });
  afterAll(async () => {
    await system?.close();
  });
}

/** Runs `scenario` while `proxy` refuses or freezes, and restores the proxy whatever happens. */
export async function whileFaulted(
  proxy: TcpProxy,
  fault: 'refuse' | 'freeze',
  scenario: () => Promise<void>,
): Promise<void> {
  await proxy[fault]();
  try {
    await scenario();
  } finally {
    await proxy.restore();
  }
}
