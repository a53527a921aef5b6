export { type AppDeps, buildApp } from './app.ts';
export { PublishingObjectStore } from './local/publishing-store.ts';
export { startLocalWorkers } from './local/workers.ts';
export { shutdownGracefully } from './shutdown.ts';
export { createSystem, type System, type SystemOptions } from './system.ts';
export { MAX_HEADER_BYTES } from './upload/inspect.ts';
export { type RefusalCode, UploadRefusedError } from './upload/refusal.ts';
