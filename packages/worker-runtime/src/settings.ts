import type { AppConfig } from '@annot/config';

/** The limits both workers apply to an original, from the one configuration. */
export interface ImageLimits {
  /** Largest accepted width × height (MAX_INPUT_PIXELS). */
  readonly maxInputPixels: number;
  /** Originals larger than this are refused before being read (MAX_UPLOAD_BYTES). */
  readonly maxInputBytes: number;
}

export function imageLimits(config: Pick<AppConfig, 'limits'>): ImageLimits {
  return { maxInputPixels: config.limits.maxInputPixels, maxInputBytes: config.limits.maxUploadBytes };
}
