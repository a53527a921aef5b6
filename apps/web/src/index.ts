export { type AppOptions, webApp } from './app.ts';
export {
  type EventBridgeRequesterOptions,
  eventBridgeStageRequester,
  type RequestStage,
  renotifyStageRequester,
  StageRequestError,
  type StageRequester,
} from './events/request-stage.ts';
export { StatusStreams, type StatusStreamsOptions } from './live/status-streams.ts';
export type { ImageJson, StatusJson } from './routes/schemas.ts';
export { multipartOptions } from './routes/upload.ts';
export { buildServer, type ServerOptions } from './server.ts';
export { exitOnSignals, shutdownGracefully } from './shutdown.ts';
export { loadConfigOrExit } from './startup-config.ts';
export {
  chooseStageRequester,
  createSystem,
  type System,
  type SystemAdapters,
  type SystemExtension,
  type SystemOptions,
} from './system.ts';
export { MAX_HEADER_BYTES } from './upload/inspect.ts';
export { UploadReclaimer } from './upload/reclaim.ts';
export { type RefusalCode, UploadRefusedError } from './upload/refusal.ts';
