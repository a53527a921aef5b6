import type { AppConfig } from './load.ts';

/** Reads a secret's string value by ARN or name. */
export type SecretFetcher = (secretId: string) => Promise<string>;

/** The default fetcher: AWS Secrets Manager through Powertools, which caches values. */
export async function secretsManagerFetcher(secretId: string): Promise<string> {
  const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
  const value = await getSecret(secretId, { maxAge: 300 });
  if (typeof value !== 'string' || value === '') throw new Error(`Secret ${secretId} has no string value`);
  return value;
}

/**
 * Fetches the secrets the config refers to (the database credentials and the Gemini key), once at
 * start, so that no secret ever needs to sit in a plain environment variable.
 */
export async function resolveSecrets(
  config: AppConfig,
  fetchSecret: SecretFetcher = secretsManagerFetcher,
): Promise<AppConfig> {
  let { database, annotator } = config;
  if (database.kind === 'mysql' && database.url === undefined && database.secretArn) {
    const raw = await fetchSecret(database.secretArn);
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
    database = { ...database, url: url.toString() };
  }
  if (
    annotator.kind === 'gemini' &&
    annotator.geminiApiKey === undefined &&
    annotator.geminiApiKeySecretArn
  ) {
    const key = (await fetchSecret(annotator.geminiApiKeySecretArn)).trim();
    annotator = { ...annotator, geminiApiKey: key };
  }
  return { ...config, database, annotator };
}
