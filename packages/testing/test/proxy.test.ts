import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net, { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../src/index.ts';

/** A loopback echo server that counts the connections it accepted. */
interface Echo {
  readonly server: Server;
  readonly port: number;
  readonly sockets: Set<Socket>;
  accepted: number;
}

async function startEcho(): Promise<Echo> {
  const echo = { accepted: 0, sockets: new Set() } as {
    server: Server;
    port: number;
    sockets: Set<Socket>;
    accepted: number;
  };
  echo.server = createServer({ allowHalfOpen: true }, (socket) => {
    echo.accepted++;
    echo.sockets.add(socket);
    socket.on('close', () => echo.sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  echo.server.listen(0, '127.0.0.1');
  await once(echo.server, 'listening');
  echo.port = (echo.server.address() as { port: number }).port;
  return echo;
}

function stopEcho(echo: Echo): Promise<void> {
  for (const socket of echo.sockets) socket.destroy();
  return new Promise((resolve) => echo.server.close(() => resolve()));
}

/** A client connection that keeps what it receives and how it ended. */
class Peer {
  readonly socket: Socket;
  readonly chunks: Buffer[] = [];
  error: NodeJS.ErrnoException | undefined;
  ended = false;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = tcpConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
    this.socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.socket.on('end', () => {
      this.ended = true;
    });
    this.socket.on('error', (error) => {
      this.error = error;
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Waits until `bytes` bytes have arrived, or `ms` passed; returns what arrived. */
  async waitFor(bytes: number, ms: number): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.received.byteLength < bytes && Date.now() < deadline && !this.socket.destroyed) {
      await sleep(10);
    }
    return this.received;
  }

  /** Sends `text` and resolves with what came back within 2 s (through the echo server, the same). */
  async roundTrip(text: string): Promise<string> {
    const before = this.received.byteLength;
    this.socket.write(text);
    return (await this.waitFor(before + Buffer.byteLength(text), 2000)).subarray(before).toString();
  }

  /** Resolves true when the socket closed within `ms`. */
  closedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), sleep(ms).then(() => false)]);
  }
}

describe('startTcpProxy', () => {
  let echo: Echo;
  let proxy: TcpProxy;
  const peers: Peer[] = [];
  const peer = () => {
    const p = new Peer(proxy.port);
    peers.push(p);
    return p;
  };

  beforeEach(async () => {
    echo = await startEcho();
    proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: echo.port });
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) p.socket.destroy();
    await proxy.close();
    await stopEcho(echo);
  });

  it('forwards bytes both ways unchanged, with backpressure, and counts its connections', async () => {
    const client = peer();
    await once(client.socket, 'connect');
    // More than the sockets' buffers hold, so both directions have to pause and resume.
    const payload = randomBytes(8 * 1024 * 1024);
    client.socket.write(payload);
    const received = await client.waitFor(payload.byteLength, 10_000);
    expect(received.equals(payload)).toBe(true);
    expect(proxy.connections).toBe(1);
    expect(proxy.accepted).toBe(1);
    expect(echo.accepted).toBe(1);
    expect(proxy.mode).toBe('forwarding');
  });

  it('passes a half-close through both ways', async () => {
    const client = peer();
    client.socket.end('last words');
    expect(await client.closedWithin(2000)).toBe(true);
    expect(client.received.toString()).toBe('last words');
    expect(client.ended).toBe(true);
    expect(client.error).toBeUndefined();
    await sleep(20);
    expect(proxy.connections).toBe(0);
  });

  it('refuse() resets open connections and refuses new ones; restore() listens again on the same port', async () => {
    const open = peer();
    expect(await open.roundTrip('before')).toBe('before');

    await proxy.refuse();
    expect(proxy.mode).toBe('refusing');
    expect(await open.closedWithin(1000)).toBe(true);
    expect(open.error?.code).toBe('ECONNRESET');
    expect(proxy.connections).toBe(0);

    const refused = peer();
    expect(await refused.closedWithin(1000)).toBe(true);
    expect(refused.error?.code).toBe('ECONNREFUSED');

    const port = proxy.port;
    await proxy.restore();
    expect(proxy.port).toBe(port);
    expect(await peer().roundTrip('after')).toBe('after');
  });

  it('freeze() keeps connections open but forwards nothing either way until restore()', async () => {
    const open = peer();
    expect(await open.roundTrip('one')).toBe('one');

    await proxy.freeze();
    expect(proxy.mode).toBe('frozen');
    open.socket.write('two');
    const late = peer();
    await once(late.socket, 'connect'); // the handshake completes: a partition, not a refusal
    late.socket.write('three');
    await sleep(300);
    expect(open.received.toString()).toBe('one');
    expect(late.received.byteLength).toBe(0);
    expect(open.socket.destroyed || late.socket.destroyed).toBe(false);
    expect(echo.accepted).toBe(1); // the late one is not connected onwards yet
    expect(proxy.connections).toBe(2);

    await proxy.restore();
    expect((await open.waitFor(6, 2000)).toString()).toBe('onetwo');
    expect((await late.waitFor(5, 2000)).toString()).toBe('three');
    expect(echo.accepted).toBe(2);
  });

  it('holds a transfer frozen half way and delivers all of it, in order, after restore()', async () => {
    const client = peer();
    await once(client.socket, 'connect');
    const payload = randomBytes(4 * 1024 * 1024);
    const chunk = 64 * 1024;
    // Written a chunk every few ms, so the freeze lands in the middle of it.
    const writing = (async () => {
      for (let offset = 0; offset < payload.byteLength; offset += chunk) {
        if (!client.socket.write(payload.subarray(offset, offset + chunk)))
          await once(client.socket, 'drain');
        await sleep(2);
      }
    })();
    await client.waitFor(512 * 1024, 5000);
    await proxy.freeze();
    await sleep(100);
    // What the proxy had handed on before the freeze may still arrive; nothing after it.
    const whileFrozen = client.received.byteLength;
    await sleep(300);
    expect(client.received.byteLength).toBe(whileFrozen);
    expect(whileFrozen).toBeLessThan(payload.byteLength);
    await proxy.restore();
    const received = await client.waitFor(payload.byteLength, 10_000);
    await writing;
    expect(received.equals(payload)).toBe(true);
  });

  it('resets the client when the target refuses', async () => {
    await stopEcho(echo);
    const client = peer();
    expect(await client.closedWithin(1000)).toBe(true);
    expect(client.error?.code).toBe('ECONNRESET');
    echo = await startEcho(); // for afterEach
  });

  it('refuses from a freeze, and freezes from a refusal', async () => {
    const frozen = peer();
    await once(frozen.socket, 'connect');
    await proxy.freeze();
    await proxy.refuse();
    expect(await frozen.closedWithin(1000)).toBe(true);
    await proxy.freeze();
    const late = peer();
    await once(late.socket, 'connect');
    late.socket.write('x');
    await sleep(200);
    expect(late.received.byteLength).toBe(0);
    await proxy.restore();
    expect((await late.waitFor(1, 2000)).toString()).toBe('x');
  });

  it('close() resets every connection and stops listening', async () => {
    const open = peer();
    expect(await open.roundTrip('hi')).toBe('hi');
    await proxy.close();
    expect(proxy.mode).toBe('closed');
    expect(await open.closedWithin(1000)).toBe(true);
    const refused = peer();
    expect(await refused.closedWithin(1000)).toBe(true);
    expect(refused.error?.code).toBe('ECONNREFUSED');
    await expect(proxy.restore()).rejects.toThrow(/closed/);
  });
});

/** Connects, sends `text`, and resolves with what came back within `ms`, or the connection's error code. */
function exchange(port: number, text: string, ms = 300): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received === '' ? 'silence' : received);
    }, ms);
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk) => {
      received += chunk;
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
  });
}

describe('startTcpProxy: drop(), a partition that loses packets', () => {
  let echo: net.Server;
  let proxy: TcpProxy;
  beforeAll(async () => {
    echo = net.createServer((socket) => {
      // The proxy resets its connections when it closes; the echo side sees ECONNRESET.
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    proxy = await startTcpProxy({
      targetHost: '127.0.0.1',
      targetPort: (echo.address() as net.AddressInfo).port,
    });
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('dropping, loses what is sent without closing; connections from the freeze stay silent after restore', async () => {
    const before = net.connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => before.once('connect', resolve));
    let heard = '';
    before.on('data', (chunk) => {
      heard += chunk;
    });
    await proxy.drop();

    expect(await exchange(proxy.port, 'lost')).toBe('silence');
    before.write('lost too');
    await sleep(100);
    expect(before.destroyed).toBe(false);

    await proxy.restore();
    expect(await exchange(proxy.port, 'again')).toBe('again');
    before.write('still lost');
    await sleep(100);
    expect(heard).toBe('');
    before.destroy();
  });

  it('a connection idle throughout a drop works again after restore', async () => {
    const idle = net.connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    await proxy.drop();
    await sleep(50);
    await proxy.restore();

    const echoed = new Promise((resolve) => idle.once('data', (chunk) => resolve(String(chunk))));
    idle.write('still here');
    expect(await echoed).toBe('still here');
    idle.destroy();
  });
});
