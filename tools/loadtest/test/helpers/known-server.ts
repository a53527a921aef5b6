import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP server whose answers are known in advance, so a report can be checked exactly. */
export interface KnownServer {
  /** http://127.0.0.1:<port><path> */
  url(path: string): string;
  /** Requests the server received on a path (counted server-side, whatever the client saw). */
  hits(path: string): number;
  /** Method and headers of the most recent request. */
  lastRequest(): { method: string; headers: Record<string, string | string[] | undefined> } | undefined;
  close(): Promise<void>;
}

export const OK_BODY = 'ok';
/** How long /delay waits before answering. */
export const DELAY_MS = 30;
/** How long /slow waits: beyond a 1 s client timeout. */
export const SLOW_MS = 1500;

/**
 * Routes:
 * - /ok: always 200.
 * - /flaky: 500 for every 10th request it receives (10th, 20th, ...), 200 otherwise. The counter is
 *   server-side, so exactly 10% fail whatever the concurrency.
 * - /delay: 200 after DELAY_MS.
 * - /slow: 200 after SLOW_MS, i.e. a timeout for a client that waits 1 s.
 * - anything else: 404.
 */
export async function startKnownServer(): Promise<KnownServer> {
  const hits = new Map<string, number>();
  let last: ReturnType<KnownServer['lastRequest']>;
  const pending = new Set<NodeJS.Timeout>();
  const later = (res: ServerResponse, ms: number) => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!res.destroyed) res.end(OK_BODY);
    }, ms);
    pending.add(timer);
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const count = (hits.get(path) ?? 0) + 1;
    hits.set(path, count);
    last = { method: req.method ?? '', headers: { ...req.headers } };
    res.setHeader('content-type', 'text/plain');
    if (path === '/ok') res.end(OK_BODY);
    else if (path === '/flaky') {
      res.statusCode = count % 10 === 0 ? 500 : 200;
      res.end(OK_BODY);
    } else if (path === '/delay') later(res, DELAY_MS);
    else if (path === '/slow') later(res, SLOW_MS);
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    hits: (path) => hits.get(path) ?? 0,
    lastRequest: () => last,
    async close() {
      for (const timer of pending) clearTimeout(timer);
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A loopback port with nothing listening on it: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
