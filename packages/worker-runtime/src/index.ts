export { decoding } from './decode.ts';
export { summariseEvent } from './event-summary.ts';
export { PermanentFailure } from './failure.ts';
export { type Intake, type IntakeEvent, type IntakeOptions, receiveEvent } from './intake.ts';
export { type CheckedImage, checkOriginal, readOriginal } from './read-original.ts';
export { type ImageLimits, type StageSettings, stageSettings } from './settings.ts';
export {
  createStageWorker,
  type DeadlineSettings,
  SKIPPED,
  type Stage,
  type StageDeps,
  workDeadline,
} from './stage.ts';
export type {
  Deadline,
  EventContext,
  EventWorker,
  LogContext,
  WorkerLogger,
  WorkerOutcome,
} from './types.ts';
