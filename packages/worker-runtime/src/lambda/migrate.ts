/**
 * The migration function: the deploy step that brings the schema up to date before any new code
 * runs (infra/src/migration.ts invokes it with `aws.lambda.Invocation` whenever the migrations
 * change, and the worker Lambdas and the web launch template wait for it). It shares the
 * thumbnailer's image (dist/migrate.mjs, handler "migrate.handler"), reads the database settings
 * and secret like the workers, applies what is pending under the migration lock, and answers with
 * what it applied. A failed migration throws: the invocation, and so `pulumi up`, fails before the
 * workloads are updated.
 */
import { loadConfig, resolveSecrets, type SecretFetcher, secretsManagerFetcher } from '@annot/config';
import { type MigrationResult, migrate, schemaFingerprint } from '@annot/db';
import { createPowertoolsLogger, detailsFirstLoggerFor } from './logger.ts';

export interface MigrationHandlerOptions {
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Defaults to Secrets Manager. */
  readonly fetchSecret?: SecretFetcher;
}

/** What the deployment sends: the schema fingerprint it expects, echoed back for its record. */
export interface MigrationRequest {
  readonly schema?: string;
}

export type MigrationResponse = MigrationResult & { readonly schema: string | null };

export function createMigrationHandler(
  options: MigrationHandlerOptions = {},
): (request: MigrationRequest | null | undefined) => Promise<MigrationResponse> {
  return async (request) => {
    // An image built from other code than the deployment (a stale dist/) would migrate to another
    // schema and still report success, and the workloads that wait for this step would then roll
    // out against columns that do not exist: refuse before touching the database.
    const expected = request?.schema;
    const built = schemaFingerprint();
    if (expected !== undefined && expected !== built) {
      throw new Error(
        `The migration function carries schema ${built}, but the deployment expects ${expected}: rebuild the thumbnailer image (pnpm turbo run build) and deploy again`,
      );
    }
    const config = await resolveSecrets(
      loadConfig(options.env ?? process.env),
      options.fetchSecret ?? secretsManagerFetcher,
    );
    const logger = createPowertoolsLogger('migrate', config.logLevel);
    if (config.database.kind !== 'mysql') {
      throw new Error('The migration function needs a MySQL database (DATABASE_SECRET_ARN and DB_HOST)');
    }
    // A new connection per invocation: the function runs once per deployment.
    const result = await migrate({ database: config.database, logger: detailsFirstLoggerFor(logger) });
    logger.info('database schema is current', { ...result, schema: request?.schema ?? null });
    return { ...result, schema: request?.schema ?? null };
  };
}
