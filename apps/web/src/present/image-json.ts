import type { ImageRecord, ImageStatus } from '@annot/db';
import type { Storage } from '@annot/storage';
import type { FastifyBaseLogger } from 'fastify';
import type { ImageJson, StatusJson } from '../routes/schemas.ts';
import { imageUrls, thumbnailUrl } from './urls.ts';

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
    tags: record.tags.map(({ label, confidence, source }) => ({ label, confidence, source })),
    textInImage: record.textInImage,
    safety: record.safety,
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
    tags: status.tags.map(({ label, confidence, source }) => ({ label, confidence, source })),
    textInImage: status.textInImage,
    safety: status.safety,
    updatedAt: status.updatedAt.toISOString(),
  };
}
