import type { IncomingMessage } from 'node:http';

/** The client sent no byte of its upload for the idle timeout. */
export class UploadStalledError extends Error {
  override readonly name: string = 'UploadStalledError';
  readonly idleMs: number;
  constructor(idleMs: number) {
    super(`no data arrived for ${formatSeconds(idleMs)}`);
    this.idleMs = idleMs;
  }
}

/** An upload that took longer than UPLOAD_MAX_DURATION_MS, however steadily it was sending. */
export class UploadTooLongError extends UploadStalledError {
  override readonly name = 'UploadTooLongError';
  constructor(maxMs: number) {
    super(maxMs);
    this.message = `it took longer than ${formatSeconds(maxMs)} to arrive`;
  }
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

export interface BodyWatch {
  /** Aborted with an UploadStalledError once the body has been idle for the timeout. */
  readonly signal: AbortSignal;
  stop(): void;
}

/**
 * Watches a request body for a client that stops sending (UPLOAD_IDLE_TIMEOUT_MS): the signal
 * aborts when no byte has arrived for `timeoutMs` while the server was ready to read one. Time the
 * server spends not reading (the upload pipeline storing a part, with the socket paused by
 * backpressure) is not counted, so only the client's silence ends an upload.
 *
 * It samples the socket's byte count rather than listening for 'data', which would start the
 * body flowing before the multipart parser is attached. A request with no real socket (Fastify's
 * inject) is not watched.
 */
export function watchBodyIdle(
  request: IncomingMessage,
  timeoutMs: number,
  maxMs = Number.POSITIVE_INFINITY,
): BodyWatch {
  const controller = new AbortController();
  const started = performance.now();
  const socket = request.socket as { bytesRead?: unknown } | null;
  if (typeof socket?.bytesRead !== 'number') return { signal: controller.signal, stop() {} };
  const bytesRead = () => (socket.bytesRead as number) ?? 0;

  let seen = bytesRead();
  let since = performance.now();
  const tick = () => {
    const now = performance.now();
    if (now - started >= maxMs) {
      stop();
      controller.abort(new UploadTooLongError(maxMs));
      return;
    }
    const read = bytesRead();
    // Bytes arrived, or the server is not reading (paused, or still holding what came in).
    const waitingForServer = request.readableFlowing === false || request.readableLength > 0;
    if (read !== seen || waitingForServer) {
      seen = read;
      since = now;
    } else if (now - since >= timeoutMs) {
      stop();
      controller.abort(new UploadStalledError(timeoutMs));
    }
  };
  const timer = setInterval(tick, Math.max(10, Math.min(1000, timeoutMs / 10, maxMs / 10)));
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    request.off('end', stop);
    request.off('close', stop);
  };
  // The whole body is in: nothing more to wait for.
  request.once('end', stop);
  request.once('close', stop);
  return { signal: controller.signal, stop };
}
