import type { FastifyBaseLogger } from 'fastify';
import type { System } from './system.ts';

/** After the uploads are aborted, how long their cleanup and answers get before connections are cut. */
const ABORT_GRACE_MS = 1000;

/**
 * Stops accepting connections and new uploads, and lets in-flight requests finish. Uploads still
 * running after `timeoutMs` are aborted: each one removes its row and object and answers 503, so
 * nothing half-stored is left behind. Then the system's extension finishes (the embedded system's
 * workers drain) and the database closes.
 */
export async function shutdownGracefully(
  system: System,
  options: { timeoutMs: number; log: FastifyBaseLogger },
): Promise<void> {
  const { app } = system;
  app.uploads.close();
  options.log.info({ uploadsInFlight: app.uploads.size }, 'shutting down');
  const deadline = setTimeout(() => {
    const aborted = app.uploads.abortAll('the server is shutting down');
    options.log.warn({ aborted }, 'shutdown timeout: aborting uploads still in flight');
    setTimeout(() => app.server.closeAllConnections(), ABORT_GRACE_MS).unref();
  }, options.timeoutMs);
  deadline.unref();
  try {
    await system.close();
  } finally {
    clearTimeout(deadline);
  }
}

/** Runs the graceful shutdown once on SIGTERM or SIGINT, then exits; a hung shutdown is cut short. */
export function exitOnSignals(system: System, options: { timeoutMs: number; log: FastifyBaseLogger }): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.log.info({ signal }, 'signal received');
    setTimeout(() => {
      options.log.error('shutdown did not finish in time: exiting');
      process.exit(1);
    }, options.timeoutMs + 5000).unref();
    shutdownGracefully(system, options).then(
      () => process.exit(0),
      (error: unknown) => {
        options.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
