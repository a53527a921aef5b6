import { analyseImage, type LocalFacts } from './local-facts.ts';
import type { Annotator } from './types.ts';

export const LOCAL_MODEL = 'local-analysis-v1';

/** Every local description starts with this, so nobody mistakes it for a model's words. */
export const LOCAL_MARKER = 'Local analysis (no AI model):';

/**
 * The annotator of the embedded default, used when no Gemini key is configured. It describes only
 * what it computed from the file (format, size, orientation, colours, EXIF), never the content.
 */
export function createLocalAnnotator(options: { maxInputPixels: number }): Annotator {
  return {
    name: 'local',
    model: LOCAL_MODEL,
    async describe(image) {
      return { annotation: describeFacts(await analyseImage(image, options.maxInputPixels)) };
    },
  };
}

/** Writes the facts as short sentences. */
export function describeFacts(facts: LocalFacts): string {
  const qualities: string[] = [];
  if (facts.exifRotated) qualities.push('shown upright using its EXIF orientation');
  if (facts.frames > 1) qualities.push(`animated with ${facts.frames} frames (colours taken from the first)`);
  if (facts.colourModel === 'CMYK') qualities.push('stored in CMYK colour (converted to sRGB for analysis)');
  if (facts.colourModel === 'greyscale') qualities.push('greyscale');
  if (facts.bitsPerChannel === 16) qualities.push('16 bits per channel');
  if (facts.hasAlpha) qualities.push(transparency(facts));
  const sentences = [
    `${LOCAL_MARKER} ${article(facts.width)} ${facts.width}x${facts.height} ${facts.orientation} ${facts.format} image` +
      (qualities.length > 0 ? `, ${qualities.join(', ')}.` : '.'),
  ];
  const shown = facts.colours.filter((c) => c.share >= 0.05).slice(0, 4);
  sentences.push(
    shown.length > 0
      ? `Dominant colours: ${list(shown.map((c) => `${c.name} (${percent(c.share)})`))}.`
      : 'It has no visible pixels to take colours from.',
  );
  if (facts.capturedAt || facts.camera) {
    const when = facts.capturedAt ? ` on ${facts.capturedAt} (camera clock)` : '';
    const what = facts.camera ? ` with ${/^[aeiou]/i.test(facts.camera) ? 'an' : 'a'} ${facts.camera}` : '';
    sentences.push(`EXIF says it was taken${when}${what}.`);
  }
  return sentences.join(' ');
}

function transparency(facts: LocalFacts): string {
  const parts: string[] = [];
  if (facts.transparentShare > 0)
    parts.push(`${percent(facts.transparentShare)} of pixels fully transparent`);
  if (facts.translucentShare > 0) {
    parts.push(
      `${percent(facts.translucentShare)}${parts.length > 0 ? '' : ' of pixels'} partly transparent`,
    );
  }
  return parts.length > 0
    ? `with transparency (${parts.join(', ')})`
    : 'with an alpha channel but no transparent pixels';
}

/** "an 80x80", "an 1800x1200" (eighteen hundred), "a 600x450". */
function article(n: number): 'a' | 'an' {
  const digits = String(n);
  if (digits.startsWith('8')) return 'an';
  return digits.length % 3 === 2 && /^1[18]/.test(digits) ? 'an' : 'a';
}

function percent(share: number): string {
  return `${Math.max(1, Math.round(share * 100))}%`;
}

function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
