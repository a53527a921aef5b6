// A TCP proxy on loopback that a test puts between a process and one of its dependencies (MariaDB,
// S3) to take the dependency away in the two ways networks fail: refused (the peer is down: every
// connection is reset, new ones are refused) and frozen (a partition: connections stay open, no byte
// goes through either way), and to give it back without restarting either side.
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export type ProxyMode = 'forwarding' | 'refusing' | 'frozen' | 'dropping' | 'closed';

export interface TcpProxyOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Loopback address the proxy listens on (default 127.0.0.1). */
  readonly host?: string;
  /** Port the proxy listens on (default: a free one). */
  readonly port?: number;
}

export interface TcpProxy {
  readonly host: string;
  /** The proxy's port; it keeps it across refuse() and restore(). */
  readonly port: number;
  readonly mode: ProxyMode;
  /** Client connections open now. */
  readonly connections: number;
  /** Client connections accepted since the start. */
  readonly accepted: number;
  /**
   * The dependency is down: stops listening (a new connection gets ECONNREFUSED) and resets every
   * open connection, on both sides.
   */
  refuse(): Promise<void>;
  /**
   * A partition: open connections stay open but no byte is forwarded either way; a new connection is
   * accepted but not connected onwards until restore(). Bytes sent meanwhile are held, not lost (TCP
   * retransmits them once a partition heals), and the senders get backpressure.
   */
  freeze(): Promise<void>;
  /**
   * A partition that loses packets for good (a peer that is gone, or state a middlebox dropped):
   * whatever either side sends is lost, and a connection that sends anything meanwhile, or is
   * opened meanwhile, stays open and silent even after restore(), so a client must time out and
   * discard it. A connection idle throughout works again after restore(). The switch happens at
   * once (before the returned promise settles), so a stream callback may call it.
   */
  drop(): Promise<void>;
  /** Back to forwarding (listening again on the same port after refuse()); held bytes go through. */
  restore(): Promise<void>;
  /** Resets every connection and stops listening, for good. */
  close(): Promise<void>;
}

/** One client connection and its connection to the target. */
interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  /**
   * Frozen: both sockets are paused and their writes corked; or, accepted while frozen, the client
   * waits (paused since it connected) to be connected onwards.
   */
  held: boolean;
  /** Lost in a drop(): silent for good. */
  dead: boolean;
}

/** Starts a TCP proxy on loopback that forwards every connection to the target. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const host = options.host ?? '127.0.0.1';
  const links = new Set<Link>();
  let mode: ProxyMode = 'forwarding';
  let accepted = 0;
  let server: Server;

  const hold = (link: Link) => {
    if (link.held) return;
    link.held = true;
    for (const socket of sockets(link)) {
      socket.pause();
      socket.cork();
    }
  };
  const release = (link: Link) => {
    if (!link.held) return;
    link.held = false;
    for (const socket of sockets(link)) socket.uncork();
    // A side whose peer still has more buffered than it takes stays paused until that peer drains.
    if (link.upstream) {
      if (!link.upstream.writableNeedDrain) link.client.resume();
      if (!link.client.writableNeedDrain) link.upstream.resume();
    }
  };
  const reset = (link: Link) => {
    links.delete(link);
    for (const socket of sockets(link)) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
  };

  /** Connects a client onwards (net buffers its first bytes until the target answers). */
  const connectOnwards = (link: Link) => {
    const upstream = tcpConnect({ host: options.targetHost, port: options.targetPort, allowHalfOpen: true });
    link.upstream = upstream;
    pipe(link.client, upstream, link, () => mode);
    pipe(upstream, link.client, link, () => mode);
    upstream.on('error', () => {});
    // The target reset or refused the connection: so does the proxy, towards the client.
    upstream.once('close', (hadError) => {
      if (hadError) reset(link);
      else if (!link.client.destroyed && link.client.writableEnded) link.client.destroy();
    });
    link.client.resume();
  };

  const onConnection = (client: Socket) => {
    accepted++;
    if (mode === 'refusing' || mode === 'closed') {
      client.resetAndDestroy();
      return;
    }
    const link: Link = { client, upstream: undefined, held: mode === 'frozen', dead: mode === 'dropping' };
    links.add(link);
    client.on('error', () => {});
    if (link.dead) {
      // Opened into a partition that loses packets: accepted, never connected, everything lost.
      client.on('data', () => {});
      client.resume();
    }
    client.once('close', (hadError) => {
      links.delete(link);
      if (hadError) {
        if (link.upstream && !link.upstream.destroyed) link.upstream.resetAndDestroy();
      } else if (link.upstream && !link.upstream.destroyed && link.upstream.writableEnded) {
        link.upstream.destroy();
      }
    });
    if (mode === 'forwarding') connectOnwards(link);
  };

  const listen = async (port: number) => {
    server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
    server.listen({ host, port, exclusive: true });
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw error;
      }),
    ]);
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('the proxy has no TCP address');
    return address.port;
  };
  const stopListening = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
    });

  const port = await listen(options.port ?? 0);

  return {
    host,
    port,
    get mode() {
      return mode;
    },
    get connections() {
      return links.size;
    },
    get accepted() {
      return accepted;
    },
    async refuse() {
      if (mode === 'closed') throw new Error('the proxy is closed');
      if (mode === 'refusing') return;
      mode = 'refusing';
      const closed = stopListening();
      for (const link of [...links]) reset(link);
      await closed;
    },
    async drop() {
      if (mode === 'closed') throw new Error('the proxy is closed');
      const wasRefusing = mode === 'refusing';
      mode = 'dropping';
      for (const link of links) release(link);
      if (wasRefusing) await listen(port);
    },
    async freeze() {
      if (mode === 'closed') throw new Error('the proxy is closed');
      if (mode === 'refusing') await listen(port);
      mode = 'frozen';
      for (const link of links) hold(link);
    },
    async restore() {
      if (mode === 'closed') throw new Error('the proxy is closed');
      if (mode === 'refusing') await listen(port);
      mode = 'forwarding';
      for (const link of links) {
        if (link.dead) continue;
        if (link.upstream) release(link);
        else {
          link.held = false;
          connectOnwards(link);
        }
      }
    },
    async close() {
      if (mode === 'closed') return;
      const wasListening = mode !== 'refusing';
      mode = 'closed';
      const closed = wasListening ? stopListening() : Promise.resolve();
      for (const link of [...links]) reset(link);
      await closed;
    },
  };
}

function sockets(link: Link): Socket[] {
  return link.upstream ? [link.client, link.upstream] : [link.client];
}

/**
 * Forwards `from` to `to` with backpressure, while the proxy forwards; in a drop() the bytes are
 * lost and the link with them.
 */
function pipe(from: Socket, to: Socket, link: Link, mode: () => ProxyMode): void {
  from.on('data', (chunk: Buffer) => {
    if (mode() === 'dropping') link.dead = true;
    if (link.dead) return;
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => {
    if (mode() === 'forwarding') from.resume();
  });
  // A half-close goes through as a half-close (MySQL and HTTP clients both use them).
  from.once('end', () => {
    if (!link.dead) to.end();
  });
}
