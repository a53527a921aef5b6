/**
 * The production entry (`node apps/web/src/main.ts`, the container on EC2): config from the environment (secrets from
 * Secrets Manager), MySQL and S3, port 5000 in the image. WEB_WORKERS > 1 (or 0 for one per core)
 * runs that many processes with node:cluster, sharing the port; the primary runs the migrations
 * once before forking (they take a named lock too, so several instances can start together).
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { AppConfig } from '@annot/config';
import { openRepository } from '@annot/db';
import pino, { type Logger } from 'pino';
import { exitOnSignals } from './shutdown.ts';
import { loadConfigOrExit } from './startup-config.ts';
import { createSystem } from './system.ts';

async function runServer(config: AppConfig, logger: Logger, migrate: boolean): Promise<void> {
  const system = await createSystem({ config, logger, migrate });
  exitOnSignals(system, { timeoutMs: config.server.shutdownTimeoutMs, log: logger });
  await system.app.listen({ host: config.server.host, port: config.server.port });
}

async function runPrimary(config: AppConfig, processes: number, logger: Logger): Promise<void> {
  if (config.migrate) {
    const repository = await openRepository({ database: config.database, migrate: true, logger });
    await repository.close();
  }
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'web process exited: starting another');
    setTimeout(() => cluster.fork(), 1000).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping web processes');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), config.server.shutdownTimeoutMs + 10_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  for (let i = 0; i < processes; i++) cluster.fork();
  logger.info({ processes, host: config.server.host, port: config.server.port }, 'web processes started');
}

async function main(): Promise<void> {
  const config = await loadConfigOrExit();
  const logger = pino({ level: config.logLevel });
  const processes = config.server.workers === 0 ? availableParallelism() : config.server.workers;
  if (processes > 1 && cluster.isPrimary) return runPrimary(config, processes, logger);
  // A cluster worker leaves migrations to the primary.
  return runServer(config, logger, cluster.isWorker ? false : config.migrate);
}

main().catch((error: unknown) => {
  console.error('web server failed to start:', error);
  process.exit(1);
});
