import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../src/index.ts';

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

describe('startTcpProxy', () => {
  let echo: net.Server;
  let proxy: TcpProxy;
  beforeAll(async () => {
    echo = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    proxy = await startTcpProxy({ target: { port: (echo.address() as net.AddressInfo).port } });
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('forwards both ways', async () => {
    expect(await exchange(proxy.port, 'hello')).toBe('hello');
  });

  it('frozen, drops what is sent without closing; connections from the freeze stay silent after restore', async () => {
    const before = net.connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => before.once('connect', resolve));
    let heard = '';
    before.on('data', (chunk) => {
      heard += chunk;
    });
    proxy.freeze();

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

  it('a connection idle throughout a freeze works again after restore', async () => {
    const idle = net.connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    proxy.freeze();
    await sleep(50);
    await proxy.restore();

    const echoed = new Promise((resolve) => idle.once('data', (chunk) => resolve(String(chunk))));
    idle.write('still here');
    expect(await echoed).toBe('still here');
    idle.destroy();
  });

  it('refusing, refuses new connections and resets open ones; restore listens again on the same port', async () => {
    const open = net.connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => open.once('connect', resolve));
    const reset = new Promise((resolve) =>
      open.on('error', (error: NodeJS.ErrnoException) => resolve(error.code)),
    );
    await proxy.refuse();

    expect(await reset).toBe('ECONNRESET');
    expect(await exchange(proxy.port, 'x')).toBe('ECONNREFUSED');
    await proxy.restore();
    expect(await exchange(proxy.port, 'back')).toBe('back');
  });
});
