/**
 * The environment the web container and the Lambdas start with. Names are the platform's setting
 * names (packages/config/src/settings.ts); the type import makes a misspelt name a compile error.
 * Only references to secrets (ARNs) go here, never secret values: the apps fetch them at start.
 */
import type { SettingName } from '@annot/config';

export type AppEnv = Partial<Record<SettingName, string>>;

/** Settings a stack may set through `appEnv`. The rest are owned by this program or are secrets. */
export const OVERRIDABLE_SETTINGS = [
  'LOG_LEVEL',
  'SHUTDOWN_TIMEOUT_MS',
  'WEB_WORKERS',
  'GALLERY_PAGE_SIZE',
  'GALLERY_CACHE_MS',
  'GALLERY_SHARED_MAX_AGE_SECONDS',
  'REDIS_COMMAND_TIMEOUT_MS',
  'REDIS_CONNECT_TIMEOUT_MS',
  'PRESIGN_EXPIRES_SECONDS',
  'PRESIGN_CACHE_SECONDS',
  'MAX_UPLOAD_BYTES',
  'MAX_FILES_PER_UPLOAD',
  'MAX_INPUT_PIXELS',
  'THUMBNAIL_WIDTH',
  'THUMBNAIL_HEIGHT',
  'THUMBNAIL_FIT',
  'THUMBNAIL_QUALITY',
  'THUMBNAIL_BACKGROUND',
  'GEMINI_MODEL',
  'GEMINI_TIMEOUT_MS',
  'GEMINI_MAX_ATTEMPTS',
  'GEMINI_RETRY_BASE_MS',
  'ANNOTATION_MAX_EDGE',
] as const satisfies readonly SettingName[];

const SECRET_SETTINGS: Readonly<Record<string, string>> = {
  GEMINI_API_KEY: 'use `pulumi config set --secret geminiApiKey` instead',
  DATABASE_URL: 'the database password is managed by RDS in Secrets Manager',
  DATABASE_READ_URL: 'set readReplicaCount instead: the replicas share the RDS-managed secret',
  REDIS_URL: 'set enableCache instead: its AUTH token is kept in Secrets Manager',
};

/** Returns why `name` cannot be set through appEnv, or undefined when it can. */
export function checkAppEnvName(name: string): string | undefined {
  if (name in SECRET_SETTINGS) return `${name} is a secret: ${SECRET_SETTINGS[name]}`;
  if (!(OVERRIDABLE_SETTINGS as readonly string[]).includes(name)) {
    return `${name} cannot be set here; settable names: ${OVERRIDABLE_SETTINGS.join(', ')}`;
  }
  return undefined;
}

/** Resolved values both tiers need. */
export interface SharedEnvInputs {
  readonly originalsBucket: string;
  readonly thumbnailsBucket: string;
  readonly databaseSecretArn: string;
  readonly databaseHost: string;
  readonly databasePort: number;
  readonly databaseName: string;
  readonly appEnv: Readonly<Record<string, string>>;
}

/** Where the database is, which secret opens it; TLS only, verified against the RDS CAs. */
export type DatabaseEnvInputs = Pick<
  SharedEnvInputs,
  'databaseSecretArn' | 'databaseHost' | 'databasePort' | 'databaseName'
>;

function databaseEnv(inputs: DatabaseEnvInputs): AppEnv {
  return {
    DATABASE_SECRET_ARN: inputs.databaseSecretArn,
    DB_HOST: inputs.databaseHost,
    DB_PORT: String(inputs.databasePort),
    DB_NAME: inputs.databaseName,
    // The parameter group sets require_secure_transport: plain connections are refused.
    DB_TLS: 'rds',
  };
}

function sharedEnv(inputs: SharedEnvInputs): AppEnv {
  return {
    ...inputs.appEnv,
    ORIGINALS_BUCKET: inputs.originalsBucket,
    THUMBNAILS_BUCKET: inputs.thumbnailsBucket,
    ...databaseEnv(inputs),
  };
}

/**
 * The web container: listens on the target group's port behind the ALB. It does not migrate: the
 * deployment's migration step has (DB_MIGRATE=false).
 * It sends retries to the event bus, and reads its cookie-signing secret and the admin token from
 * Secrets Manager.
 * With a CloudFront distribution in front of the thumbnails bucket, it links thumbnails through it,
 * unsigned.
 */
export function webEnv(
  inputs: SharedEnvInputs & {
    readonly region: string;
    readonly port: number;
    /** DB_POOL_SIZE of each web process. */
    readonly poolSize: number;
    readonly thumbnailsCdnDomain?: string | undefined;
    /** The bus retries go to (EVENT_BUS_NAME). */
    readonly eventBusName: string;
    readonly cookieSecretArn: string;
    readonly adminTokenSecretArn: string;
    /** The shared cache (enableCache): TLS to its primary endpoint, the token by secret ARN. */
    readonly cache?:
      | { readonly host: string; readonly port: number; readonly authTokenSecretArn: string }
      | undefined;
    /** The read replicas' addresses (readReplicaCount); each process picks one. */
    readonly readReplicaHosts?: readonly string[] | undefined;
  },
): AppEnv {
  return {
    ...sharedEnv(inputs),
    PORT: String(inputs.port),
    HOST: '0.0.0.0',
    TRUST_PROXY: 'true',
    AWS_REGION: inputs.region,
    LOCAL_WORKERS: 'false',
    // The migration function has migrated the schema before this instance was launched.
    DB_MIGRATE: 'false',
    DB_POOL_SIZE: String(inputs.poolSize),
    EVENT_BUS_NAME: inputs.eventBusName,
    COOKIE_SECRET_ARN: inputs.cookieSecretArn,
    ADMIN_TOKEN_SECRET_ARN: inputs.adminTokenSecretArn,
    ...(inputs.thumbnailsCdnDomain ? { THUMBNAILS_BASE_URL: `https://${inputs.thumbnailsCdnDomain}` } : {}),
    // The distribution fronts the ALB too: it is the origin browsers use.
    ...(inputs.thumbnailsCdnDomain ? { PUBLIC_ORIGIN: `https://${inputs.thumbnailsCdnDomain}` } : {}),
    ...(inputs.cache
      ? {
          REDIS_URL: `rediss://${inputs.cache.host}:${inputs.cache.port}`,
          REDIS_AUTH_TOKEN_SECRET_ARN: inputs.cache.authTokenSecretArn,
        }
      : {}),
    ...(inputs.readReplicaHosts?.length ? { DB_READ_HOST: inputs.readReplicaHosts.join(',') } : {}),
  };
}

/** How much longer than its Lambda timeout a worker's claim on a stage lasts. */
export const STAGE_LEASE_MARGIN_SECONDS = 30;

/**
 * A worker Lambda. AWS_REGION is left out on purpose: Lambda reserves it and sets it itself.
 * One invocation runs per container at a time, so a small pool suffices. A worker's claim on a
 * stage outlives its longest run (the function's timeout) by STAGE_LEASE_MARGIN_SECONDS, so a
 * live worker never loses it, and runs out before Lambda's first retry of a timed-out run (about a
 * minute later), so that retry does the work.
 */
export function workerEnv(
  inputs: SharedEnvInputs & {
    readonly timeoutSeconds: number;
    readonly poolSize: number;
    readonly geminiApiKeySecretArn?: string | undefined;
    /** The annotator runs the offline vision models (LOCAL_ANNOTATOR=vision), not Gemini. */
    readonly localAnnotator?: boolean;
  },
): AppEnv {
  return {
    ...sharedEnv(inputs),
    DB_MIGRATE: 'false',
    DB_POOL_SIZE: String(inputs.poolSize),
    STAGE_LEASE_MS: String((inputs.timeoutSeconds + STAGE_LEASE_MARGIN_SECONDS) * 1000),
    ...(inputs.geminiApiKeySecretArn ? { GEMINI_API_KEY_SECRET_ARN: inputs.geminiApiKeySecretArn } : {}),
    ...(inputs.localAnnotator ? { LOCAL_ANNOTATOR: 'vision' } : {}),
  };
}

/** The migration function: one connection, and the migrations are its whole job. */
export function migrationEnv(inputs: DatabaseEnvInputs): AppEnv {
  return { ...databaseEnv(inputs), DB_MIGRATE: 'true', DB_POOL_SIZE: '1' };
}
