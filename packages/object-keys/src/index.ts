/**
 * The object-key layout.
 *
 *   originals:   uploads/<id>/<safe name>            (originals bucket)
 *   thumbnails:  thumbnails/<id>/<safe stem>.jpg     (thumbnails bucket)
 *
 * `<id>` is unique per upload, so two uploads of "photo.jpg" never collide. `<safe name>` is built
 * from the user's filename but contains only [a-z0-9._-], is never "." or "..", and is at most
 * 100 characters, so a key is always well under S3's 1024-byte limit and needs no escaping in URLs
 * or on disk. The user's filename is kept only as display data (see `displayFilename`).
 */

export const UPLOADS_PREFIX = 'uploads/';
export const THUMBNAILS_PREFIX = 'thumbnails/';
export const THUMBNAIL_EXTENSION = '.jpg';
export const MAX_SAFE_NAME_LENGTH = 100;
export const MAX_DISPLAY_NAME_LENGTH = 255;

const ID_PATTERN = /^[0-9a-z]{8,40}$/;

/** A sortable, unique id: 10 characters of time, 16 of randomness (base 36). */
export function newUploadId(now: number = Date.now()): string {
  const time = now.toString(36).padStart(10, '0');
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let random = '';
  for (const byte of bytes) random += byte.toString(36).padStart(2, '0');
  return `${time}${random.slice(0, 16)}`;
}

function stripControl(value: string): string {
  // C0, DEL, C1, bidi overrides and isolates, zero-width and BOM characters
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
}

/** Splits "a.b.JPG" into ["a.b", ".jpg"]; extensions are short and alphanumeric, or absent. */
function splitExtension(name: string): [string, string] {
  const match = /^(.*?)(\.[A-Za-z0-9]{1,8})$/.exec(name);
  if (!match || match[1] === '') return [name, ''];
  return [match[1]!, match[2]!.toLowerCase()];
}

/**
 * Turns any user-supplied filename into a safe key segment: path parts are dropped, accents are
 * folded to ASCII, every other character becomes "-", and the result is trimmed to 100 characters.
 * `extension` (for example ".jpg" from the detected type) replaces the name's own when given.
 */
export function safeFileName(original: string, extension?: string): string {
  const base = stripControl(original.normalize('NFKC')).split(/[/\\]/).pop() ?? '';
  const [stemRaw, ownExt] = splitExtension(base.trim());
  const ext = (extension ?? ownExt).toLowerCase().replace(/[^.a-z0-9]/g, '');
  let stem = stemRaw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+|[.-]+$/g, '');
  stem = stem.slice(0, MAX_SAFE_NAME_LENGTH - ext.length).replace(/[.-]+$/g, '');
  if (stem === '') stem = 'image';
  return `${stem}${ext}`;
}

/** The name shown to people: the original, without control characters, at most 255 characters. */
export function displayFilename(original: string): string {
  const cleaned = stripControl(original.normalize('NFC')).trim();
  const chars = Array.from(cleaned);
  const limited =
    chars.length > MAX_DISPLAY_NAME_LENGTH ? chars.slice(0, MAX_DISPLAY_NAME_LENGTH).join('') : cleaned;
  return limited === '' ? 'unnamed' : limited;
}

/** The key an upload is stored under. */
export function uploadKey(
  originalFilename: string,
  options: { id?: string; extension?: string } = {},
): string {
  const id = options.id ?? newUploadId();
  if (!ID_PATTERN.test(id)) throw new Error(`uploadKey: invalid upload id ${JSON.stringify(id)}`);
  return `${UPLOADS_PREFIX}${id}/${safeFileName(originalFilename, options.extension)}`;
}

export interface ParsedUploadKey {
  readonly id: string;
  readonly name: string;
}

/** Parses a key built by `uploadKey`; returns null for any other key. */
export function parseUploadKey(key: string): ParsedUploadKey | null {
  if (!key.startsWith(UPLOADS_PREFIX)) return null;
  const rest = key.slice(UPLOADS_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const id = rest.slice(0, slash);
  const name = rest.slice(slash + 1);
  if (!ID_PATTERN.test(id) || name === '' || name.includes('/')) return null;
  return { id, name };
}

/**
 * The thumbnail key for an original key. Keys from `uploadKey` map to
 * `thumbnails/<id>/<stem>.jpg`. Any other key under `uploads/` (an object put into the bucket by
 * another tool) still maps deterministically, to `thumbnails/<sanitised path>.jpg`, so the worker
 * stays idempotent. Keys outside `uploads/` are refused.
 */
export function thumbnailKeyFor(originalKey: string): string {
  const parsed = parseUploadKey(originalKey);
  if (parsed) {
    const [stem] = splitExtension(parsed.name);
    return `${THUMBNAILS_PREFIX}${parsed.id}/${stem}${THUMBNAIL_EXTENSION}`;
  }
  if (!originalKey.startsWith(UPLOADS_PREFIX) || originalKey.length === UPLOADS_PREFIX.length) {
    throw new Error(`thumbnailKeyFor: not an upload key: ${JSON.stringify(originalKey.slice(0, 200))}`);
  }
  const segments = originalKey
    .slice(UPLOADS_PREFIX.length)
    .split('/')
    .filter((s) => s !== '')
    .map((s) => safeFileName(s).replace(/\.[a-z0-9]{1,8}$/, ''));
  return `${THUMBNAILS_PREFIX}${segments.join('/').slice(0, 900)}${THUMBNAIL_EXTENSION}`;
}

/** A display filename for a row that a worker creates before the web tier's row exists. */
export function filenameFromKey(key: string): string {
  const last = key.split('/').pop() ?? '';
  return displayFilename(last);
}
