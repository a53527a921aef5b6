/**
 * The whole system in one process on embedded defaults (`pnpm dev`): SQLite and blobs under
 * DATA_DIR (.data/), the in-process event bus, the thumbnailer and the annotator (local unless
 * GEMINI_API_KEY is set). Any setting can still be overridden from the environment.
 */
import type { AppConfig } from '@annot/config';
import { exitOnSignals, loadConfigOrExit } from '@annot/web';
import pino from 'pino';
import { createEmbeddedSystem } from './system.ts';

function describe(config: AppConfig): string[] {
  const database =
    config.database.kind === 'sqlite' ? `SQLite at ${config.database.path}` : 'MySQL (DATABASE_URL)';
  const storage =
    config.storage.kind === 'directory'
      ? `directory ${config.storage.root}`
      : `S3 buckets ${config.storage.originalsBucket}, ${config.storage.thumbnailsBucket}`;
  const annotator =
    config.annotator.kind === 'gemini'
      ? `Gemini (${config.annotator.model})`
      : config.annotator.local === 'vision'
        ? 'offline vision models (LOCAL_ANNOTATOR=vision)'
        : 'facts-only local analysis (LOCAL_ANNOTATOR=facts)';
  return [
    `  database:  ${database}`,
    `  storage:   ${storage}`,
    config.localWorkers
      ? `  workers:   thumbnailer and annotator (${annotator}), in-process`
      : '  workers:   off (LOCAL_WORKERS=false)',
  ];
}

async function main(): Promise<void> {
  const config = await loadConfigOrExit();
  // Request logs are noise while developing; LOG_LEVEL=info brings them back.
  const logger = pino({ level: process.env.LOG_LEVEL ? config.logLevel : 'warn' });
  const system = await createEmbeddedSystem({ config, logger });
  exitOnSignals(system, { timeoutMs: config.server.shutdownTimeoutMs, log: logger });
  const address = await system.app.listen({ host: config.server.host, port: config.server.port });
  console.log(
    [`\nImage annotations is running at ${address}`, ...describe(config), '  Press Ctrl-C to stop.\n'].join(
      '\n',
    ),
  );
}

main().catch((error: unknown) => {
  console.error('dev server failed to start:', error);
  process.exit(1);
});
