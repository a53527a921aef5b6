import type { AppConfig } from '@annot/config';

/** The limits both workers apply to an original, from the one configuration. */
export interface ImageLimits {
  /** Largest accepted width × height (MAX_INPUT_PIXELS). */
  readonly maxInputPixels: number;
  /** Originals larger than this are refused before being read (MAX_UPLOAD_BYTES). */
  readonly maxInputBytes: number;
}

/** What the stage runner takes from the one configuration: the image limits and the lease. */
export interface StageSettings extends ImageLimits {
  /** How long a worker's claim on its stage of an image lasts (STAGE_LEASE_MS). */
  readonly stageLeaseMs: number;
}

/** Both workers' share of their settings, built the same way for Lambda and local runs. */
export function stageSettings(config: Pick<AppConfig, 'limits' | 'stageLeaseMs'>): StageSettings {
  return {
    maxInputPixels: config.limits.maxInputPixels,
    maxInputBytes: config.limits.maxUploadBytes,
    stageLeaseMs: config.stageLeaseMs,
  };
}
