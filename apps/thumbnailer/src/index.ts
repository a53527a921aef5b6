export * from './errors.ts';
export * from './thumbnail.ts';
export type * from './types.ts';
export { createThumbnailer, THUMBNAIL_CONTENT_TYPE } from './worker.ts';
