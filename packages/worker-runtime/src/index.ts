export { summariseEvent } from './event-summary.ts';
export {
  type AcceptedFormat,
  CONTENT_TYPES,
  type Sniffed,
  sniffImage,
  unsupportedReason,
} from './image-format.ts';
export { type Intake, type IntakeOptions, receiveEvent } from './intake.ts';
export { type Original, originalGone, type ReadOriginalOptions, readOriginal } from './read-original.ts';
export type { EventWorker, LogContext, WorkerLogger, WorkerOutcome } from './types.ts';
