export * from './errors.ts';
export { type AcceptedFormat, CONTENT_TYPES, sniffImage } from './sniff.ts';
export * from './thumbnail.ts';
export type * from './types.ts';
export { createThumbnailer, THUMBNAIL_CONTENT_TYPE } from './worker.ts';
