import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readmePath, renderReadme } from '../scripts/update-readme.ts';
import { annotatorBudget, ConfigError, loadConfig, resolveSecrets, SETTINGS } from '../src/index.ts';

const cwd = '/srv/app';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults (the embedded default)', () => {
  const config = loadConfig({}, cwd);

  it('uses SQLite and a blob directory under DATA_DIR', () => {
    expect(config.database).toEqual({
      kind: 'sqlite',
      path: '/srv/app/.data/annotations.sqlite',
      queryTimeoutMs: 5000,
    });
    expect(config.storage).toEqual({
      kind: 'directory',
      root: '/srv/app/.data/blobs',
      thumbnailsBaseUrl: undefined,
    });
  });

  it('uses the local annotator without a Gemini key', () => {
    expect(config.annotator.kind).toBe('local');
    expect(config.annotator.model).toBe('gemini-3.5-flash');
  });

  it('has the documented limits', () => {
    expect(config.server.port).toBe(3000);
    expect(config.limits).toEqual({
      maxUploadBytes: 52428800,
      maxFilesPerUpload: 20,
      maxInputPixels: 60000000,
      uploadIdleTimeoutMs: 30000,
      uploadMaxDurationMs: 600000,
      uploadDuplicateWaitMs: 15000,
    });
  });

  it('sends retries to no EventBridge bus unless EVENT_BUS_NAME is set, within a bounded time', () => {
    expect(config.events).toEqual({ busName: undefined, publishTimeoutMs: 5000 });
    expect(loadConfig({ EVENT_BUS_NAME: 'default', EVENT_PUBLISH_TIMEOUT_MS: '800' }, cwd).events).toEqual({
      busName: 'default',
      publishTimeoutMs: 800,
    });
    expect(errorOf(() => loadConfig({ EVENT_PUBLISH_TIMEOUT_MS: '0' }, cwd)).message).toContain(
      'EVENT_PUBLISH_TIMEOUT_MS',
    );
    expect(errorOf(() => loadConfig({ EVENT_BUS_NAME: ' ' }, cwd)).message).toContain('EVENT_BUS_NAME');
  });

  it('holds the longest upload below STALE_UPLOAD_MS, so the sweep never takes one still arriving', () => {
    expect(loadConfig({ STALE_UPLOAD_MS: '3000' }, cwd).limits.uploadMaxDurationMs).toBe(2700);
    expect(loadConfig({ UPLOAD_MAX_DURATION_MS: '120000' }, cwd).limits.uploadMaxDurationMs).toBe(120000);
    expect(errorOf(() => loadConfig({ UPLOAD_MAX_DURATION_MS: '0' }, cwd)).message).toContain(
      'UPLOAD_MAX_DURATION_MS',
    );
    expect(config.thumbnail).toEqual({
      width: 128,
      height: 128,
      fit: 'cover',
      quality: 80,
      background: '#ffffff',
    });
    expect(config.annotator).toMatchObject({
      timeoutMs: 12000,
      maxAttempts: 4,
      retryBaseMs: 500,
      maxEdge: 1024,
      local: 'vision',
      minLabelConfidence: 0.35,
      minTextConfidence: 0.8,
      sensitiveThreshold: 0.7,
    });
  });

  it('chooses the local annotator and its thresholds', () => {
    const facts = loadConfig({ LOCAL_ANNOTATOR: 'facts', VISION_LABEL_THRESHOLD: '0.5' }, cwd);
    expect(facts.annotator).toMatchObject({ kind: 'local', local: 'facts', minLabelConfidence: 0.5 });
    expect(errorOf(() => loadConfig({ LOCAL_ANNOTATOR: 'clip' }, cwd)).message).toContain('LOCAL_ANNOTATOR');
    expect(errorOf(() => loadConfig({ VISION_TEXT_THRESHOLD: '1.5' }, cwd)).message).toContain(
      'VISION_TEXT_THRESHOLD',
    );
  });

  it('reuses a rendered gallery page for a second, and 0 turns that off', () => {
    expect(config.galleryCacheMs).toBe(1000);
    expect(loadConfig({ GALLERY_CACHE_MS: '0' }, cwd).galleryCacheMs).toBe(0);
    expect(errorOf(() => loadConfig({ GALLERY_CACHE_MS: '-1' }, cwd)).message).toContain('GALLERY_CACHE_MS');
  });

  it('gives a worker 90 s to hold a stage, longer than the annotator Lambda’s 60 s timeout', () => {
    expect(config.stageLeaseMs).toBe(90_000);
    expect(loadConfig({ STAGE_LEASE_MS: '500' }, cwd).stageLeaseMs).toBe(500);
    for (const value of ['0', '99', '86400001', '1.5', 'soon']) {
      expect(errorOf(() => loadConfig({ STAGE_LEASE_MS: value }, cwd)).message).toContain('STAGE_LEASE_MS');
    }
  });

  it('bounds every wait on a dependency, and the local workers, with the documented defaults', () => {
    expect(config.server.healthCheckTimeoutMs).toBe(2000);
    expect(config.localWorkerConcurrency).toBe(2);
    const aws = loadConfig(
      { DATABASE_URL: 'mysql://h/db', ORIGINALS_BUCKET: 'acme-o', THUMBNAILS_BUCKET: 'acme-t' },
      cwd,
    );
    expect(aws.database).toMatchObject({ kind: 'mysql', queryTimeoutMs: 5000 });
    expect(aws.storage).toMatchObject({ kind: 's3', requestTimeoutMs: 10000 });
    const short = loadConfig(
      {
        DATABASE_URL: 'mysql://h/db',
        DB_QUERY_TIMEOUT_MS: '300',
        ORIGINALS_BUCKET: 'acme-o',
        THUMBNAILS_BUCKET: 'acme-t',
        S3_REQUEST_TIMEOUT_MS: '400',
        UPLOAD_IDLE_TIMEOUT_MS: '500',
        HEALTH_CHECK_TIMEOUT_MS: '200',
        LOCAL_WORKER_CONCURRENCY: '1',
      },
      cwd,
    );
    expect(short.database).toMatchObject({ queryTimeoutMs: 300 });
    expect(short.storage).toMatchObject({ requestTimeoutMs: 400 });
    expect(short.limits.uploadIdleTimeoutMs).toBe(500);
    expect(short.server.healthCheckTimeoutMs).toBe(200);
    expect(short.localWorkerConcurrency).toBe(1);
  });

  it('gives a worker a 60 s deadline outside Lambda, 5 s of it kept back to record the result', () => {
    expect(config.workerDeadline).toEqual({ localMs: 60_000, reserveMs: 5_000 });
    expect(loadConfig({ WORKER_DEADLINE_MS: '20000', DEADLINE_RESERVE_MS: '0' }, cwd).workerDeadline).toEqual(
      { localMs: 20_000, reserveMs: 0 },
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }, cwd).server.port).toBe(3000);
  });
});

describe('loadConfig for AWS', () => {
  it('selects MySQL from DATABASE_URL and S3 from the bucket names', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'mysql://app:pw@db.internal:3306/images',
        ORIGINALS_BUCKET: 'acme-originals',
        THUMBNAILS_BUCKET: 'acme-thumbnails',
        AWS_REGION: 'eu-west-1',
        PORT: '5000',
      },
      cwd,
    );
    expect(config.database).toMatchObject({ kind: 'mysql', url: 'mysql://app:pw@db.internal:3306/images' });
    expect(config.storage).toMatchObject({
      kind: 's3',
      originalsBucket: 'acme-originals',
      region: 'eu-west-1',
    });
    expect(config.server.port).toBe(5000);
  });

  it('connects to MySQL in plain text unless DB_TLS=rds asks for TLS verified against the RDS CAs', () => {
    const url = 'mysql://app:pw@db.internal:3306/images';
    expect(loadConfig({ DATABASE_URL: url }, cwd).database).toMatchObject({ kind: 'mysql', tls: 'off' });
    expect(loadConfig({ DATABASE_URL: url, DB_TLS: 'rds' }, cwd).database).toMatchObject({ tls: 'rds' });
  });

  it('selects Gemini when a key or a key secret is configured', () => {
    expect(loadConfig({ GEMINI_API_KEY: 'k' }, cwd).annotator.kind).toBe('gemini');
    expect(loadConfig({ GEMINI_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:x' }, cwd).annotator.kind).toBe(
      'gemini',
    );
  });
});

describe('loadConfig errors name the bad variable', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT', 'whole number'],
    [{ PORT: '70000' }, 'PORT', 'at most 65535'],
    [{ MAX_UPLOAD_BYTES: '0' }, 'MAX_UPLOAD_BYTES', 'at least 1'],
    [{ THUMBNAIL_FIT: 'stretch' }, 'THUMBNAIL_FIT', 'cover or inside'],
    [{ THUMBNAIL_BACKGROUND: 'white' }, 'THUMBNAIL_BACKGROUND', 'colour'],
    [{ DATABASE_URL: 'postgres://x/y' }, 'DATABASE_URL', 'mysql://'],
    [{ ORIGINALS_BUCKET: 'only-one' }, 'THUMBNAILS_BUCKET', 'set together'],
    [{ ORIGINALS_BUCKET: 'Bad_Bucket', THUMBNAILS_BUCKET: 'ok-bucket' }, 'ORIGINALS_BUCKET', 'bucket name'],
    [
      { S3_FORCE_PATH_STYLE: 'maybe', ORIGINALS_BUCKET: 'a-b', THUMBNAILS_BUCKET: 'c-d' },
      'S3_FORCE_PATH_STYLE',
      'true or false',
    ],
    [{ PRESIGN_EXPIRES_SECONDS: '600', PRESIGN_CACHE_SECONDS: '400' }, 'PRESIGN_CACHE_SECONDS', 'half'],
    [{ DATABASE_SECRET_ARN: 'arn:x' }, 'DB_HOST', 'required'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'LOG_LEVEL'],
    [{ DB_QUERY_TIMEOUT_MS: '0' }, 'DB_QUERY_TIMEOUT_MS', 'at least 50'],
    [{ UPLOAD_IDLE_TIMEOUT_MS: 'never' }, 'UPLOAD_IDLE_TIMEOUT_MS', 'whole number'],
    [{ LOCAL_WORKER_CONCURRENCY: '0' }, 'LOCAL_WORKER_CONCURRENCY', 'at least 1'],
    // CloudFront's gallery policy keeps no page longer (infra/src/edge.ts): a larger value would be cut silently.
    [{ GALLERY_SHARED_MAX_AGE_SECONDS: '301' }, 'GALLERY_SHARED_MAX_AGE_SECONDS', 'at most 300'],
    // A larger copy tells the model no more; every copy must also fit the inline request limit.
    [{ ANNOTATION_MAX_EDGE: '8192' }, 'ANNOTATION_MAX_EDGE', 'at most 4096'],
    [{ WORKER_DEADLINE_MS: '10' }, 'WORKER_DEADLINE_MS', 'at least 1000'],
    [{ DEADLINE_RESERVE_MS: '-1' }, 'DEADLINE_RESERVE_MS', 'at least 0'],
    [
      { GEMINI_TIMEOUT_MS: '56000' },
      'GEMINI_TIMEOUT_MS',
      'must fit in WORKER_DEADLINE_MS (60000) less DEADLINE_RESERVE_MS (5000)',
    ],
    [{ DATABASE_URL: 'mysql://h:3306/d', DB_TLS: 'yes' }, 'DB_TLS', 'off or rds'],
  ])('%j -> %s', (env, variable, fragment) => {
    const error = errorOf(() => loadConfig(env, cwd));
    expect(error.variables).toContain(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(fragment);
  });

  it('reports every bad variable at once', () => {
    const error = errorOf(() => loadConfig({ PORT: 'x', THUMBNAIL_WIDTH: '-1' }, cwd));
    expect(error.variables).toEqual(['PORT', 'THUMBNAIL_WIDTH']);
  });

  it('never prints a secret value', () => {
    const error = errorOf(() => loadConfig({ DATABASE_URL: 'postgres://user:hunter2@h/db' }, cwd));
    expect(error.message).not.toContain('hunter2');
  });
});

describe('resolveSecrets', () => {
  it('builds the database URL from the RDS-managed secret and fetches the Gemini key', async () => {
    const fetched: string[] = [];
    const secrets: Record<string, string> = {
      'arn:db': JSON.stringify({ username: 'admin', password: 'p@ss/word' }),
      'arn:gemini': ' key-123\n',
    };
    const config = loadConfig(
      {
        DATABASE_SECRET_ARN: 'arn:db',
        DB_HOST: 'db.internal',
        DB_NAME: 'images',
        GEMINI_API_KEY_SECRET_ARN: 'arn:gemini',
      },
      cwd,
    );
    const resolved = await resolveSecrets(config, async (id) => {
      fetched.push(id);
      return secrets[id]!;
    });
    expect(fetched).toEqual(['arn:db', 'arn:gemini']);
    expect(resolved.annotator.geminiApiKey).toBe('key-123');
    const url = new URL((resolved.database as { url: string }).url);
    expect([url.hostname, url.port, url.pathname]).toEqual(['db.internal', '3306', '/images']);
    expect(decodeURIComponent(url.password)).toBe('p@ss/word');
  });

  it('fetches the cookie secret and the operator token once, from their ARNs', async () => {
    const config = loadConfig({ COOKIE_SECRET_ARN: 'arn:cookie', ADMIN_TOKEN_SECRET_ARN: 'arn:admin' }, cwd);
    expect(config.auth).toEqual({
      cookieSecret: undefined,
      cookieSecretArn: 'arn:cookie',
      adminToken: undefined,
      adminTokenSecretArn: 'arn:admin',
    });
    const fetched: string[] = [];
    const resolved = await resolveSecrets(config, async (id) => {
      fetched.push(id);
      return id === 'arn:cookie' ? 'cookie-secret-value-0123456789abcdef\n' : ' operator-token ';
    });
    expect(fetched).toEqual(['arn:cookie', 'arn:admin']);
    expect(resolved.auth.cookieSecret).toBe('cookie-secret-value-0123456789abcdef');
    expect(resolved.auth.adminToken).toBe('operator-token');
  });

  it('reads ADMIN_TOKEN directly; unset, there is no operator token', () => {
    expect(loadConfig({ ADMIN_TOKEN: 't0ken' }, cwd).auth.adminToken).toBe('t0ken');
    expect(loadConfig({}, cwd).auth.adminToken).toBeUndefined();
  });

  it('fetches nothing for the embedded default', async () => {
    const config = loadConfig({}, cwd);
    await expect(resolveSecrets(config, async () => Promise.reject(new Error('no')))).resolves.toEqual(
      config,
    );
  });

  it('rejects a database secret without credentials', async () => {
    const config = loadConfig({ DATABASE_SECRET_ARN: 'arn:db', DB_HOST: 'h' }, cwd);
    await expect(resolveSecrets(config, async () => '{"user":"x"}')).rejects.toThrow(/DATABASE_SECRET_ARN/);
  });
});

describe('documentation', () => {
  it('lists every setting with its default in the README configuration table', () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(renderReadme(readme), 'README is stale: run `pnpm --filter @annot/config run readme`').toBe(
      readme,
    );
    for (const setting of SETTINGS) expect(readme).toContain(`\`${setting.name}\``);
  });
});

describe('annotatorBudget (the worst case infra checks against annotatorTimeoutSeconds)', () => {
  it('counts every attempt to its timeout, every backoff to its ceiling, and the reserve', () => {
    // Defaults: 4 x 12 s, backoffs 0.5 + 1 + 2 s, 5 s reserve.
    expect(annotatorBudget()).toEqual({
      attemptsMs: 48_000,
      backoffMs: 3_500,
      reserveMs: 5_000,
      totalMs: 56_500,
    });
  });

  it('caps each backoff at 20 s and reads the settings a stack overrides', () => {
    const budget = annotatorBudget({
      GEMINI_MAX_ATTEMPTS: '3',
      GEMINI_TIMEOUT_MS: '30000',
      GEMINI_RETRY_BASE_MS: '15000',
    });
    // 3 x 30 s, backoffs 15 s + min(20 s, 30 s).
    expect(budget).toMatchObject({ attemptsMs: 90_000, backoffMs: 35_000, totalMs: 130_000 });
  });
});
