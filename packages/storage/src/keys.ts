import path from 'node:path';

/** A key that cannot be used: it could escape its directory, or no filesystem could hold it. */
export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
  readonly key: string;
  /** What is wrong with it, without the key (say, "longer than 1024 bytes"). */
  readonly reason: string;
  constructor(key: string, reason: string) {
    super(`Invalid object key ${JSON.stringify(key.slice(0, 200))}: ${reason}`);
    this.key = key;
    this.reason = reason;
  }
}

/** S3's own limit on a key's length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Most filesystems refuse a path segment (file or directory name) over 255 bytes. */
const MAX_SEGMENT_BYTES = 255;

/** What every adapter refuses (S3 itself would): an empty key, or one over S3's 1024 bytes. */
export function validateKeyLength(key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidObjectKeyError(String(key), 'empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidObjectKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  }
}

/**
 * Checks a key for the directory adapter and throws InvalidObjectKeyError when it could escape the
 * bucket's directory or is not representable on disk. Refused: empty keys, absolute paths, empty
 * segments ("a//b", trailing "/"), any segment starting with "." (covers "." and "..", and keeps
 * the adapter's temp files unaddressable), backslashes, NUL and other control characters, and
 * over-long keys or segments.
 */
export function validateObjectKey(key: string): void {
  validateKeyLength(key);
  if (key.startsWith('/')) throw new InvalidObjectKeyError(key, 'absolute path');
  if (key.includes('\\')) throw new InvalidObjectKeyError(key, 'contains a backslash');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidObjectKeyError(key, 'contains a control character');
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidObjectKeyError(key, 'empty path segment');
    if (segment.startsWith('.')) throw new InvalidObjectKeyError(key, 'a path segment starts with "."');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw new InvalidObjectKeyError(key, `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
}

/** A bucket directory name: one safe segment (the S3 bucket-name alphabet). */
export function validateBucketName(bucket: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    throw new Error(`Invalid bucket name ${JSON.stringify(bucket)}: expected 3-63 of [a-z0-9.-]`);
  }
}

/**
 * The absolute file path of `key` in `bucket` under `root`, after validating the key. Also checks
 * the resolved path is inside `<root>/<bucket>/`, as a second line of defence. Used by the
 * directory adapter (the web app's file route reaches it through the store's `get`).
 */
export function resolveObjectPath(root: string, bucket: string, key: string): string {
  validateBucketName(bucket);
  validateObjectKey(key);
  const bucketDir = path.resolve(root, bucket);
  const file = path.resolve(bucketDir, ...key.split('/'));
  if (!file.startsWith(bucketDir + path.sep)) throw new InvalidObjectKeyError(key, 'escapes the bucket');
  return file;
}

/** RFC 3986 encoding of one path segment, as S3 expects it: encodeURIComponent plus !'()*. */
export function encodeKeySegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** A key for a URL path: each segment encoded, the slashes kept. */
export function encodeKeyForUrl(key: string): string {
  return key.split('/').map(encodeKeySegment).join('/');
}

/**
 * The unsigned URL of `key` under a public base URL (a CDN in front of the bucket):
 * `<base>/<key>`, each key segment encoded as S3 expects, so the CDN asks its origin for the same key.
 */
export function publicObjectUrl(baseUrl: string, key: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${encodeKeyForUrl(key)}`;
}
