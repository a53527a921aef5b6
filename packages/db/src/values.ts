import { createHash } from 'node:crypto';
import type { Dialect } from './dialect.ts';
import { InvalidImageInputError } from './errors.ts';
import type { AnnotationResult, ImageRecord, ImageStatus, ImageTag, Safety, Status } from './types.ts';

/** S3 keys are at most 1024 bytes, so never more than 1024 characters: the column's size. */
export const MAX_KEY_LENGTH = 1024;

/** Column sizes, in characters (code points, as MySQL counts them for utf8mb4). */
export const LIMITS = {
  filename: 255,
  error: 1000,
  annotator: 64,
  annotationModel: 128,
  contentType: 100,
  // TEXT holds 65535 bytes; 16000 code points of at most 4 bytes each always fit.
  annotation: 16_000,
  // image_tags.label and .source: VARCHAR(64).
  tagLabel: 64,
  tagSource: 64,
  // Text in the image: TEXT, as the annotation.
  textInImage: 16_000,
} as const;

/** Most tags stored per image (the most confident); the rest are dropped. */
export const MAX_TAGS = 50;

/**
 * An annotation's tags as stored: labels trimmed, lowercased and cut to 64 characters (empty
 * ones dropped), each label once (its most confident), most confident first, at most MAX_TAGS.
 * A confidence that is not a number from 0 to 1 is refused.
 */
export function normaliseTags(tags: AnnotationResult['tags']): ImageTag[] {
  const byLabel = new Map<string, ImageTag>();
  for (const tag of tags ?? []) {
    const { confidence } = tag;
    if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) {
      throw new InvalidImageInputError(`A tag's confidence must be from 0 to 1 (got ${String(confidence)})`);
    }
    const label = clip(String(tag.label).trim().toLowerCase(), LIMITS.tagLabel).trim();
    if (label === '') continue;
    const source = clip(String(tag.source ?? '').trim(), LIMITS.tagSource);
    const seen = byLabel.get(label);
    if (!seen || seen.confidence < confidence) byLabel.set(label, { label, confidence, source });
  }
  return [...byLabel.values()]
    .sort((a, b) => b.confidence - a.confidence || (a.label < b.label ? -1 : 1))
    .slice(0, MAX_TAGS);
}

/** A tag label as `tag=` compares it: as stored (trimmed, lowercased, at most 64 characters). */
export function tagLabel(value: string): string {
  return clip(value.trim().toLowerCase(), LIMITS.tagLabel).trim();
}

export function checkSafety(value: AnnotationResult['safety']): Safety | null {
  if (value === null || value === undefined) return null;
  if (value !== 'safe' && value !== 'sensitive') {
    throw new InvalidImageInputError(`safety must be "safe" or "sensitive" (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** The stored JSON of the tags back to tags; anything unreadable is no tags. */
function parseTags(value: unknown): ImageTag[] {
  if (value === null || value === undefined || value === '') return [];
  try {
    const parsed: unknown = JSON.parse(String(value));
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((tag) =>
      tag && typeof tag.label === 'string' && typeof tag.confidence === 'number'
        ? [{ label: tag.label, confidence: tag.confidence, source: String(tag.source ?? '') }]
        : [],
    );
  } catch {
    return [];
  }
}

function safety(value: unknown): Safety | null {
  return value === 'safe' || value === 'sensitive' ? value : null;
}

/** The upsert key: SHA-256 of the original key's UTF-8 bytes (see migrations.ts for why). */
export function keyHash(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function checkKey(key: string, what: string): string {
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) {
    throw new InvalidImageInputError(
      `${what} must be 1 to ${MAX_KEY_LENGTH} characters (got ${String(key?.length)})`,
    );
  }
  // As stored: both drivers write a lone surrogate as U+FFFD (and keyHash hashes it so).
  return key.toWellFormed();
}

/**
 * Cuts to `max` code points, so both dialects store the same text and MySQL never refuses it; a
 * lone surrogate becomes U+FFFD first, as both drivers would store it, so the value returned is
 * the value a read gives back.
 */
export function clip(text: string, max: number): string {
  const value = text.toWellFormed();
  if (value.length <= max) return value;
  const points = Array.from(value);
  return points.length <= max ? value : points.slice(0, max).join('');
}

/** A non-negative integer or null; anything else is refused before it reaches SQL. */
export function count(value: number | null | undefined, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidImageInputError(`${what} must be a non-negative integer (got ${String(value)})`);
  }
  return value;
}

export const optionalText = (value: string | null | undefined, max: number): string | null =>
  value === null || value === undefined ? null : clip(value, max);

const nullableString = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const nullableNumber = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

function status(value: unknown): Status {
  if (value === 'pending' || value === 'completed' || value === 'failed') return value;
  throw new TypeError(`Unknown status ${String(value)} in the images table`);
}

type Row = Record<string, unknown>;

export function toRecord(row: Row, dialect: Dialect): ImageRecord {
  return {
    id: Number(row.id),
    filename: String(row.filename),
    originalKey: String(row.s3_key_original),
    thumbnailKey: nullableString(row.s3_key_thumbnail),
    annotation: nullableString(row.annotation),
    annotationStatus: status(row.annotation_status),
    thumbnailStatus: status(row.thumbnail_status),
    annotationError: nullableString(row.annotation_error),
    thumbnailError: nullableString(row.thumbnail_error),
    annotator: nullableString(row.annotator),
    annotationModel: nullableString(row.annotation_model),
    contentType: nullableString(row.content_type),
    byteSize: nullableNumber(row.byte_size),
    width: nullableNumber(row.width),
    height: nullableNumber(row.height),
    uploadedAt: dialect.fromDbTime(row.uploaded_at),
    updatedAt: dialect.fromDbTime(row.updated_at),
    uploader: nullableString(row.uploader),
    tags: parseTags(row.tags),
    textInImage: nullableString(row.text_in_image),
    safety: safety(row.safety),
  };
}

/** An uploader id: opaque, short ASCII (see NewImage.uploader). */
const UPLOADER = /^[A-Za-z0-9_-]{1,64}$/;

export function checkUploader(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || !UPLOADER.test(value)) {
    throw new InvalidImageInputError('uploader must be 1 to 64 letters, digits, "-" or "_"');
  }
  return value;
}

export function toStatus(row: Row, dialect: Dialect): ImageStatus {
  return {
    id: Number(row.id),
    annotationStatus: status(row.annotation_status),
    thumbnailStatus: status(row.thumbnail_status),
    annotationError: nullableString(row.annotation_error),
    thumbnailError: nullableString(row.thumbnail_error),
    thumbnailKey: nullableString(row.s3_key_thumbnail),
    annotation: nullableString(row.annotation),
    tags: parseTags(row.tags),
    textInImage: nullableString(row.text_in_image),
    safety: safety(row.safety),
    updatedAt: dialect.fromDbTime(row.updated_at),
  };
}
