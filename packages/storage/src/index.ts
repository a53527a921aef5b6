export * from './create-storage.ts';
export * from './directory/store.ts';
export {
  encodeKeyForUrl,
  InvalidObjectKeyError,
  MAX_KEY_BYTES,
  publicObjectUrl,
  resolveObjectPath,
  validateBucketName,
  validateObjectKey,
} from './keys.ts';
export { type StorageLogger, silentStorageLogger } from './logger.ts';
export * from './port.ts';
export { resolveBucketEndpoint } from './s3/endpoint.ts';
export * from './s3/presigner.ts';
export * from './s3/store.ts';
