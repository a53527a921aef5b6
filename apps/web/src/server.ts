import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type AppOptions, webApp } from './app.ts';
import { RequestLog } from './plugins/request-log.ts';

export interface ServerOptions extends AppOptions {
  /** A pino logger to use; by default Fastify's own, at config.logLevel. */
  readonly logger?: FastifyBaseLogger;
}

/**
 * The Fastify instance, with its options, and the web app registered on it. It does not listen.
 * The production entry (main.ts, through system.ts), the embedded system and the tests all build
 * the server here.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { logger, ...app } = options;
  const server = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: { level: app.config.logLevel } }),
    trustProxy: app.config.server.trustProxy,
    logController: new RequestLog(),
    // Requests that arrive while the server closes get the app's own 503 (app.ts), with
    // Retry-After and in JSON or HTML, rather than Fastify's bare "Service Unavailable".
    return503OnClosing: false,
  });
  await server.register(webApp, app);
  return server;
}
