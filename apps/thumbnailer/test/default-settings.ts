import type { ThumbnailSettings } from '../src/thumbnail.ts';

/**
 * The platform defaults (settings.ts): 128x128 cover, quality 80, white background, 60 MP. Kept
 * apart from support.ts, which imports vitest, so the benchmark and the RSS probe run it in plain node.
 */
export const DEFAULTS: ThumbnailSettings = {
  width: 128,
  height: 128,
  fit: 'cover',
  quality: 80,
  background: '#ffffff',
  maxInputPixels: 60_000_000,
};
