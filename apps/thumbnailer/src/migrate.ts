/**
 * The migration function's entry (bundled by build.mjs to dist/migrate.mjs, handler
 * "migrate.handler"). It ships in the thumbnailer's image, whose function runs it with an image
 * command override; see @annot/worker-runtime/lambda (migrate.ts) and infra/src/migration.ts.
 */
import { createMigrationHandler } from '@annot/worker-runtime/lambda';

export const handler = createMigrationHandler();
