import net from 'node:net';

/**
 * Refuses every outbound socket connection and fetch of the calling thread, telling `record` of
 * each; returns the undo. Unix sockets and pipes (IPC with the test runner) are local, not outbound.
 * Used in the test's own thread (vision.test.ts) and, preloaded with `--import`, in the vision
 * models' worker thread (threads/refuse-network.ts).
 */
export function refuseNetwork(record: (attempt: string) => void): () => void {
  const originalConnect = net.Socket.prototype.connect;
  const originalFetch = globalThis.fetch;
  net.Socket.prototype.connect = function refused(this: net.Socket, ...args: unknown[]) {
    const target = args[0];
    if (typeof target === 'string' || (typeof target === 'object' && target && 'path' in target)) {
      return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    }
    record(`connect ${JSON.stringify(target)}`);
    queueMicrotask(() =>
      this.destroy(Object.assign(new Error('outbound connection refused by test'), { code: 'ECONNREFUSED' })),
    );
    return this;
  } as typeof net.Socket.prototype.connect;
  globalThis.fetch = (async (input: unknown) => {
    record(`fetch ${String(input)}`);
    throw new TypeError('fetch refused by test');
  }) as typeof fetch;
  return () => {
    net.Socket.prototype.connect = originalConnect;
    globalThis.fetch = originalFetch;
  };
}
