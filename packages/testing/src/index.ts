export * from './damaged.ts';
export * from './failure.ts';
export * from './fixtures.ts';
export * from './gemini.ts';
export * from './mariadb.ts';
export * from './proxy.ts';
export * from './s3.ts';
export type { MultipartUpload } from './s3-multipart.ts';
export * from './server-process.ts';
