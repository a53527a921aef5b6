export * from './thumbnail.ts';
export {
  createThumbnailer,
  THUMBNAIL_CONTENT_TYPE,
  type ThumbnailerDeps,
  type ThumbnailerSettings,
  thumbnailerSettings,
} from './worker.ts';
