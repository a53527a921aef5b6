export { PublishingObjectStore } from './publishing-store.ts';
export { createEmbeddedSystem, type EmbeddedSystemOptions } from './system.ts';
export { type LocalWorkers, type LocalWorkersOptions, startLocalWorkers } from './workers.ts';
