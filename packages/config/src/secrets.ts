import type { AppConfig, DatabaseConfig } from './load.ts';

export interface FetchOptions {
  /** Bypass any cache and read the current value (after a rotation). */
  readonly forceFetch?: boolean;
}

/** Reads a secret's string value by ARN or name. */
export type SecretFetcher = (secretId: string, options?: FetchOptions) => Promise<string>;

/** The default fetcher: AWS Secrets Manager through Powertools, which caches values for 5 minutes. */
export async function secretsManagerFetcher(secretId: string, options: FetchOptions = {}): Promise<string> {
  const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
  const value = await getSecret(secretId, { maxAge: 300, forceFetch: options.forceFetch ?? false });
  if (typeof value !== 'string' || value === '') throw new Error(`Secret ${secretId} has no string value`);
  return value;
}

/**
 * Fetches the secrets the config refers to (the database credentials, the Gemini key, the
 * uploader cookie's signing secret and the operator token), once at
 * start, so that no secret ever needs to sit in a plain environment variable.
 */
export async function resolveSecrets(
  config: AppConfig,
  fetchSecret: SecretFetcher = secretsManagerFetcher,
): Promise<AppConfig> {
  let { database, annotator } = config;
  if (database.kind === 'mysql' && database.url === undefined && database.secretArn) {
    const url = databaseUrlFromSecret(database, await fetchSecret(database.secretArn));
    database = { ...database, url };
  }
  if (
    database.kind === 'mysql' &&
    database.replica &&
    database.replica.url === undefined &&
    database.secretArn
  ) {
    const { host } = database.replica;
    const url = databaseUrlFromSecret({ ...database, host }, await fetchSecret(database.secretArn));
    database = { ...database, replica: { ...database.replica, url } };
  }
  let { redis } = config;
  if (redis?.authTokenSecretArn) {
    const url = new URL(redis.url);
    // ElastiCache's AUTH token is the default user's password.
    url.password = (await fetchSecret(redis.authTokenSecretArn)).trim();
    redis = { ...redis, url: url.toString() };
  }
  if (
    annotator.kind === 'gemini' &&
    annotator.geminiApiKey === undefined &&
    annotator.geminiApiKeySecretArn
  ) {
    const key = (await fetchSecret(annotator.geminiApiKeySecretArn)).trim();
    annotator = { ...annotator, geminiApiKey: key };
  }
  let { auth } = config;
  if (auth.cookieSecret === undefined && auth.cookieSecretArn) {
    auth = { ...auth, cookieSecret: (await fetchSecret(auth.cookieSecretArn)).trim() };
  }
  if (auth.adminToken === undefined && auth.adminTokenSecretArn) {
    auth = { ...auth, adminToken: (await fetchSecret(auth.adminTokenSecretArn)).trim() };
  }
  return { ...config, database, annotator, auth, redis };
}

/**
 * For a database whose credentials come from DATABASE_SECRET_ARN (the RDS-managed master secret,
 * which RDS rotates): a function that re-reads the secret, bypassing the cache, and returns the
 * new mysql:// URL. Pass it to `openRepository({ refreshCredentials })` so a long-running process
 * or a warm Lambda picks up a rotated password. Undefined when there is nothing to refresh
 * (DATABASE_URL given directly, or SQLite).
 */
export function createDatabaseUrlRefresher(
  config: AppConfig,
  fetchSecret: SecretFetcher = secretsManagerFetcher,
): (() => Promise<string>) | undefined {
  const { database } = config;
  if (database.kind !== 'mysql' || !database.secretArn) return undefined;
  const secretArn = database.secretArn;
  return async function refreshDatabaseUrl() {
    return databaseUrlFromSecret(database, await fetchSecret(secretArn, { forceFetch: true }));
  };
}

/**
 * The same for the read replica (DB_READ_HOST): replicas share the primary's users, so a rotated
 * password is re-read from the same secret. Undefined without a replica or a secret.
 */
export function createReplicaUrlRefresher(
  config: AppConfig,
  fetchSecret: SecretFetcher = secretsManagerFetcher,
): (() => Promise<string>) | undefined {
  const { database } = config;
  if (database.kind !== 'mysql' || !database.secretArn || !database.replica?.host) return undefined;
  const secretArn = database.secretArn;
  const replica = { ...database, host: database.replica.host };
  return async function refreshReplicaUrl() {
    return databaseUrlFromSecret(replica, await fetchSecret(secretArn, { forceFetch: true }));
  };
}

type MySqlDatabase = Extract<DatabaseConfig, { kind: 'mysql' }>;

/** mysql://user:password@DB_HOST:DB_PORT/DB_NAME from the secret's JSON (RDS's format). */
function databaseUrlFromSecret(database: MySqlDatabase, raw: string): string {
  let parsed: { username?: unknown; password?: unknown };
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`DATABASE_SECRET_ARN: secret is not JSON with username and password`);
  }
  if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string') {
    throw new Error(`DATABASE_SECRET_ARN: secret has no string username and password`);
  }
  const url = new URL(`mysql://${database.host}:${database.port}/${database.database}`);
  url.username = parsed.username;
  url.password = parsed.password;
  return url.toString();
}
