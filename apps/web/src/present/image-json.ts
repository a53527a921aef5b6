import type { ImageRecord, ImageStatus } from '@annot/db';
import type { Storage } from '@annot/storage';
import type { FastifyBaseLogger } from 'fastify';
import { imageUrls, thumbnailUrl } from './urls.ts';

/** One image as the API shows it (GET /api/images, GET /api/images/:id). */
export interface ImageJson {
  readonly id: number;
  readonly filename: string;
  readonly annotation: string | null;
  readonly annotationStatus: string;
  readonly thumbnailStatus: string;
  readonly annotationError: string | null;
  readonly thumbnailError: string | null;
  readonly uploadedAt: string;
  readonly updatedAt: string;
  readonly thumbnailUrl: string | null;
  readonly originalUrl: string | null;
  readonly annotator: string | null;
  readonly model: string | null;
  readonly contentType: string | null;
  readonly byteSize: number | null;
  readonly width: number | null;
  readonly height: number | null;
}

/** What the gallery polls (GET /api/images/status). */
export interface StatusJson {
  readonly id: number;
  readonly annotationStatus: string;
  readonly thumbnailStatus: string;
  readonly annotationError: string | null;
  readonly thumbnailError: string | null;
  readonly thumbnailUrl: string | null;
  readonly annotation: string | null;
  readonly updatedAt: string;
}

export async function imageJson(
  record: ImageRecord,
  storage: Storage,
  log: FastifyBaseLogger,
): Promise<ImageJson> {
  const urls = await imageUrls(storage, record, log);
  return {
    id: record.id,
    filename: record.filename,
    annotation: record.annotation,
    annotationStatus: record.annotationStatus,
    thumbnailStatus: record.thumbnailStatus,
    annotationError: record.annotationError,
    thumbnailError: record.thumbnailError,
    uploadedAt: record.uploadedAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    ...urls,
    annotator: record.annotator,
    model: record.annotationModel,
    contentType: record.contentType,
    byteSize: record.byteSize,
    width: record.width,
    height: record.height,
  };
}

export async function statusJson(
  status: ImageStatus,
  storage: Storage,
  log: FastifyBaseLogger,
): Promise<StatusJson> {
  return {
    id: status.id,
    annotationStatus: status.annotationStatus,
    thumbnailStatus: status.thumbnailStatus,
    annotationError: status.annotationError,
    thumbnailError: status.thumbnailError,
    thumbnailUrl: await thumbnailUrl(storage, status, log),
    annotation: status.annotation,
    updatedAt: status.updatedAt.toISOString(),
  };
}
