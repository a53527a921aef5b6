import type { ImageRecord } from '@annot/db';
import { formatBytes, formatOfContentType } from '@annot/image-rules';
import type { Storage } from '@annot/storage';
import type { FastifyBaseLogger } from 'fastify';
import { imageUrls } from './urls.ts';

/** One of the annotator's tags as a card shows it: a link to the gallery filtered by it. */
export interface CardTag {
  readonly label: string;
  /** "82%" */
  readonly confidence: string;
  readonly source: string;
  /** /gallery?tag=<label> */
  readonly url: string;
}

/** What the gallery template shows for one image; every string is escaped by the template. */
export interface Card {
  readonly id: number;
  readonly filename: string;
  readonly thumbnailUrl: string | null;
  readonly originalUrl: string | null;
  readonly thumbnailStatus: string;
  readonly annotationStatus: string;
  readonly thumbnailError: string | null;
  readonly annotationError: string | null;
  readonly annotation: string | null;
  /** "Gemini (gemini-3.5-flash)" or "Local analysis (local-v1)". */
  readonly annotatedBy: string | null;
  readonly uploadedIso: string;
  readonly uploadedText: string;
  /** "600 × 450 · JPEG · 136.2 KiB" */
  readonly details: string;
  readonly pending: boolean;
  /** The annotator's tags, most confident first (machine-made). */
  readonly tags: readonly CardTag[];
  /** Text the annotator read in the image (machine-made); null when none. */
  readonly textInImage: string | null;
  /** True when the annotator flagged the image as sensitive. */
  readonly sensitive: boolean;
}

export async function toCard(record: ImageRecord, storage: Storage, log: FastifyBaseLogger): Promise<Card> {
  const urls = await imageUrls(storage, record, log);
  return {
    id: record.id,
    filename: record.filename,
    ...urls,
    thumbnailStatus: record.thumbnailStatus,
    annotationStatus: record.annotationStatus,
    thumbnailError: record.thumbnailError,
    annotationError: record.annotationError,
    annotation: record.annotation,
    annotatedBy: annotatedBy(record),
    uploadedIso: record.uploadedAt.toISOString(),
    uploadedText: formatTime(record.uploadedAt),
    details: details(record),
    pending: record.thumbnailStatus === 'pending' || record.annotationStatus === 'pending',
    tags: record.tags.map((tag) => ({
      label: tag.label,
      confidence: `${Math.round(tag.confidence * 100)}%`,
      source: tag.source,
      url: `/gallery?${new URLSearchParams({ tag: tag.label })}`,
    })),
    textInImage: record.textInImage,
    sensitive: record.safety === 'sensitive',
  };
}

/** The image's own page: the card's facts, each on its own. */
export interface ImagePage extends Card {
  /** "136.2 KiB" */
  readonly size: string | null;
  /** "600 × 450" */
  readonly dimensions: string | null;
  /** "JPEG" */
  readonly type: string | null;
}

export async function toImagePage(
  record: ImageRecord,
  storage: Storage,
  log: FastifyBaseLogger,
): Promise<ImagePage> {
  const card = await toCard(record, storage, log);
  return {
    ...card,
    size: record.byteSize === null ? null : formatBytes(record.byteSize),
    dimensions: record.width && record.height ? `${record.width} × ${record.height}` : null,
    type: record.contentType ? (formatOfContentType(record.contentType)?.name ?? record.contentType) : null,
  };
}

function annotatedBy(record: ImageRecord): string | null {
  if (!record.annotator) return null;
  const who =
    record.annotator === 'gemini'
      ? 'Gemini'
      : record.annotator === 'local'
        ? 'Local analysis'
        : record.annotator;
  return record.annotationModel ? `${who} (${record.annotationModel})` : who;
}

/** "2026-11-28 07:53 UTC": fixed and cheap on the server; the page's script shows local time. */
function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function details(record: ImageRecord): string {
  const parts: string[] = [];
  if (record.width && record.height) parts.push(`${record.width} × ${record.height}`);
  if (record.contentType) parts.push(formatOfContentType(record.contentType)?.name ?? record.contentType);
  if (record.byteSize !== null) parts.push(formatBytes(record.byteSize));
  return parts.join(' · ');
}
