import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { SETTINGS, type SettingName } from './settings.ts';

export type Env = Readonly<Record<string, string | undefined>>;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'mysql';
      /** A full mysql:// URL, or undefined until `resolveSecrets` builds it from the secret. */
      readonly url: string | undefined;
      readonly secretArn: string | undefined;
      readonly host: string | undefined;
      readonly port: number;
      readonly database: string;
      readonly poolSize: number;
    };

/**
 * Where blobs live. `thumbnailsBaseUrl` (THUMBNAILS_BASE_URL, no trailing slash) applies to both
 * kinds: set, thumbnail URLs are `<base>/<key>`, unsigned, e.g. through a CDN.
 */
export type StorageConfig =
  | { readonly kind: 'directory'; readonly root: string; readonly thumbnailsBaseUrl: string | undefined }
  | {
      readonly kind: 's3';
      readonly originalsBucket: string;
      readonly thumbnailsBucket: string;
      readonly region: string;
      readonly endpoint: string | undefined;
      readonly forcePathStyle: boolean;
      readonly thumbnailsBaseUrl: string | undefined;
    };

export interface AppConfig {
  readonly logLevel: LogLevel;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly shutdownTimeoutMs: number;
    readonly trustProxy: boolean;
    readonly workers: number;
  };
  readonly dataDir: string;
  readonly localWorkers: boolean;
  readonly galleryPageSize: number;
  /** How long a rendered gallery page is reused, per process and cursor (0: not at all). */
  readonly galleryCacheMs: number;
  readonly database: DatabaseConfig;
  readonly migrate: boolean;
  readonly storage: StorageConfig;
  readonly presign: { readonly expiresSeconds: number; readonly cacheSeconds: number };
  readonly limits: {
    readonly maxUploadBytes: number;
    readonly maxFilesPerUpload: number;
    readonly maxInputPixels: number;
  };
  readonly thumbnail: {
    readonly width: number;
    readonly height: number;
    readonly fit: 'cover' | 'inside';
    readonly quality: number;
    readonly background: string;
  };
  readonly annotator: {
    readonly kind: 'gemini' | 'local';
    /** The key itself; set from GEMINI_API_KEY or by `resolveSecrets` from the secret. */
    readonly geminiApiKey: string | undefined;
    readonly geminiApiKeySecretArn: string | undefined;
    readonly model: string;
    readonly baseUrl: string | undefined;
    readonly timeoutMs: number;
    readonly maxAttempts: number;
    readonly retryBaseMs: number;
    readonly maxEdge: number;
  };
}

const DEFAULTS: Record<string, string | undefined> = Object.fromEntries(
  SETTINGS.map((s) => [s.name, s.default]),
);

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const mysqlUrl = nonEmpty.refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'mysql:' && url.hostname !== '';
  } catch {
    return false;
  }
}, 'expected mysql://user:pass@host:3306/database');

const httpUrl = nonEmpty.refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL');

/**
 * A base URL that keys are appended to: http(s) with "//", no credentials, query or fragment.
 * Stored as origin + path without trailing slashes, so `<base>/<key>` never has a double slash.
 */
const baseUrl = nonEmpty
  .refine((value) => {
    try {
      const url = new URL(value);
      return /^https?:\/\//i.test(value) && !/[?#]/.test(value) && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'expected an http:// or https:// URL with no query, fragment or credentials')
  .transform((value) => {
    const url = new URL(value);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

const bucketName = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
  );

const colour = z
  .string()
  .trim()
  .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'expected a colour like #ffffff');

/** Reads the environment once, validates every setting and returns typed config. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): AppConfig {
  const problems: { variable: string; message: string }[] = [];

  function read<T>(name: SettingName, schema: z.ZodType<T, string>): T;
  function read<T>(name: SettingName, schema: z.ZodType<T, string>, optional: true): T | undefined;
  function read<T>(name: SettingName, schema: z.ZodType<T, string>, optional = false): T | undefined {
    const raw = env[name] === undefined || env[name] === '' ? DEFAULTS[name] : env[name];
    if (raw === undefined) {
      if (!optional) problems.push({ variable: name, message: 'is required' });
      return undefined;
    }
    const result = schema.safeParse(raw);
    if (!result.success) {
      const shown = SETTINGS.find((s) => s.name === name && 'secret' in s && s.secret)
        ? '(hidden)'
        : JSON.stringify(raw);
      problems.push({
        variable: name,
        message: `${result.error.issues[0]?.message ?? 'invalid'} (got ${shown})`,
      });
      return undefined;
    }
    return result.data;
  }

  const dataDir = path.resolve(cwd, read('DATA_DIR', nonEmpty));
  const databaseUrl = read('DATABASE_URL', mysqlUrl, true);
  const databaseSecretArn = read('DATABASE_SECRET_ARN', nonEmpty, true);
  const dbHost = read('DB_HOST', nonEmpty, true);
  const dbPort = read('DB_PORT', int(1, 65535));
  const dbName = read('DB_NAME', z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a MySQL database name'));
  const poolSize = read('DB_POOL_SIZE', int(1, 1000));
  if (databaseSecretArn && !databaseUrl && !dbHost) {
    problems.push({ variable: 'DB_HOST', message: 'is required when DATABASE_SECRET_ARN is set' });
  }
  const database: DatabaseConfig =
    databaseUrl || databaseSecretArn
      ? {
          kind: 'mysql',
          url: databaseUrl,
          secretArn: databaseUrl ? undefined : databaseSecretArn,
          host: dbHost,
          port: dbPort,
          database: dbName,
          poolSize,
        }
      : { kind: 'sqlite', path: path.join(dataDir, 'annotations.sqlite') };

  const originalsBucket = read('ORIGINALS_BUCKET', bucketName, true);
  const thumbnailsBucket = read('THUMBNAILS_BUCKET', bucketName, true);
  if (Boolean(originalsBucket) !== Boolean(thumbnailsBucket)) {
    problems.push({
      variable: originalsBucket ? 'THUMBNAILS_BUCKET' : 'ORIGINALS_BUCKET',
      message: 'ORIGINALS_BUCKET and THUMBNAILS_BUCKET must be set together',
    });
  }
  const region = read('AWS_REGION', nonEmpty);
  const thumbnailsBaseUrl = read('THUMBNAILS_BASE_URL', baseUrl, true);
  const storage: StorageConfig =
    originalsBucket && thumbnailsBucket
      ? {
          kind: 's3',
          originalsBucket,
          thumbnailsBucket,
          region,
          endpoint: read('S3_ENDPOINT', httpUrl, true),
          forcePathStyle: read('S3_FORCE_PATH_STYLE', bool),
          thumbnailsBaseUrl,
        }
      : { kind: 'directory', root: path.join(dataDir, 'blobs'), thumbnailsBaseUrl };

  const presign = {
    expiresSeconds: read('PRESIGN_EXPIRES_SECONDS', int(60, 604800)),
    cacheSeconds: read('PRESIGN_CACHE_SECONDS', int(0, 604800)),
  };
  if (presign.expiresSeconds !== undefined && presign.cacheSeconds > presign.expiresSeconds / 2) {
    problems.push({
      variable: 'PRESIGN_CACHE_SECONDS',
      message: `must be at most half of PRESIGN_EXPIRES_SECONDS (${presign.expiresSeconds}), so a cached URL never expires in a page`,
    });
  }

  const geminiApiKey = read('GEMINI_API_KEY', nonEmpty, true);
  const geminiApiKeySecretArn = read('GEMINI_API_KEY_SECRET_ARN', nonEmpty, true);

  const config: AppConfig = {
    logLevel: read('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
    server: {
      host: read('HOST', nonEmpty),
      port: read('PORT', int(0, 65535)),
      shutdownTimeoutMs: read('SHUTDOWN_TIMEOUT_MS', int(0, 600000)),
      trustProxy: read('TRUST_PROXY', bool),
      workers: read('WEB_WORKERS', int(0, 256)),
    },
    dataDir,
    localWorkers: read('LOCAL_WORKERS', bool),
    galleryPageSize: read('GALLERY_PAGE_SIZE', int(1, 200)),
    galleryCacheMs: read('GALLERY_CACHE_MS', int(0, 600000)),
    database,
    migrate: read('DB_MIGRATE', bool),
    storage,
    presign,
    limits: {
      maxUploadBytes: read('MAX_UPLOAD_BYTES', int(1, Number.MAX_SAFE_INTEGER)),
      maxFilesPerUpload: read('MAX_FILES_PER_UPLOAD', int(1, 1000)),
      maxInputPixels: read('MAX_INPUT_PIXELS', int(1, Number.MAX_SAFE_INTEGER)),
    },
    thumbnail: {
      width: read('THUMBNAIL_WIDTH', int(1, 4096)),
      height: read('THUMBNAIL_HEIGHT', int(1, 4096)),
      fit: read('THUMBNAIL_FIT', z.enum(['cover', 'inside'], { error: 'expected cover or inside' })),
      quality: read('THUMBNAIL_QUALITY', int(1, 100)),
      background: read('THUMBNAIL_BACKGROUND', colour),
    },
    annotator: {
      kind: geminiApiKey || geminiApiKeySecretArn ? 'gemini' : 'local',
      geminiApiKey,
      geminiApiKeySecretArn,
      model: read(
        'GEMINI_MODEL',
        z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected a model name like gemini-3.5-flash'),
      ),
      baseUrl: read('GEMINI_BASE_URL', httpUrl, true),
      timeoutMs: read('GEMINI_TIMEOUT_MS', int(100, 600000)),
      maxAttempts: read('GEMINI_MAX_ATTEMPTS', int(1, 20)),
      retryBaseMs: read('GEMINI_RETRY_BASE_MS', int(0, 60000)),
      maxEdge: read('ANNOTATION_MAX_EDGE', int(64, 8192)),
    },
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
