import net from 'node:net';

export interface TcpProxyOptions {
  /** Where connections are forwarded (a MariaDB, an s3rver). */
  readonly target: { readonly host?: string; readonly port: number };
}

/**
 * A loopback TCP proxy that can make its target fail the ways a network does, for tests that point
 * a client at `127.0.0.1:<port>` instead of the real server.
 */
export interface TcpProxy {
  readonly port: number;
  /** Client connections open now. */
  readonly connections: number;
  /**
   * A partition that drops packets (no reset, no close): whatever either side sends is lost.
   * A connection that sends anything while frozen, or is opened while frozen, stays open and
   * silent for good, even after `restore`, as with a peer that is gone: a client must time out and
   * discard it. A connection idle throughout the freeze works again after `restore`.
   */
  freeze(): void;
  /** A server that is down: new connections are refused (nothing listens), open ones are reset. */
  refuse(): Promise<void>;
  /** Forwards again. Connections that carried anything while frozen stay silent. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

interface Link {
  readonly client: net.Socket;
  upstream: net.Socket | null;
  /** Drops everything it is sent, both ways, for good. */
  dead: boolean;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const target = { host: options.target.host ?? '127.0.0.1', port: options.target.port };
  const links = new Set<Link>();
  let frozen = false;

  const server = net.createServer((client) => {
    const link: Link = { client, upstream: null, dead: frozen };
    links.add(link);
    client.on('close', () => {
      links.delete(link);
      link.upstream?.destroy();
    });
    client.on('error', () => client.destroy());
    // Anything sent while frozen is lost, and its connection with it.
    const alive = () => {
      if (frozen) link.dead = true;
      return !link.dead;
    };
    client.on('data', (chunk) => {
      if (alive()) link.upstream?.write(chunk);
    });
    if (link.dead) return;
    client.pause();
    const upstream = net.connect(target, () => client.resume());
    link.upstream = upstream;
    upstream.on('data', (chunk) => {
      if (alive()) client.write(chunk);
    });
    upstream.on('end', () => {
      if (alive()) client.end();
    });
    client.on('end', () => {
      if (alive()) upstream.end();
    });
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => {
      if (!link.dead) client.destroy();
    });
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);

  return {
    port,
    get connections() {
      return links.size;
    },
    freeze() {
      frozen = true;
    },
    async refuse() {
      frozen = false;
      if (server.listening) server.close();
      for (const link of links) {
        link.upstream?.destroy();
        link.client.resetAndDestroy();
      }
    },
    async restore() {
      frozen = false;
      if (!server.listening) await listen(port);
    },
    close() {
      for (const link of links) {
        link.upstream?.destroy();
        link.client.destroy();
      }
      return new Promise((resolve) => {
        if (server.listening) server.close(() => resolve());
        else resolve();
      });
    },
  };
}
