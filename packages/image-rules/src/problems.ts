import { ACCEPTED_NAMES, type FormatInfo } from './formats.ts';
import { formatBytes, formatMegapixels } from './units.ts';

/**
 * Why a file is not a usable image. The web tier turns a problem into a 4xx refusal (the code is
 * the JSON `error` field); the workers record it as a stage's failure reason. Every sentence a
 * person reads about a bad file is written here, in plain words, and never carries a library's
 * message (that goes to the logs as `detail`).
 */
export type ProblemCode =
  | 'empty_file'
  | 'unsupported_type'
  | 'corrupt_image'
  | 'too_large'
  | 'too_many_pixels'
  | 'decode_timeout'
  | 'original_missing'
  | 'not_described'
  | 'never_finished';

export interface ImageProblem {
  readonly code: ProblemCode;
  /** What is wrong, without a subject: "is empty (0 bytes)". See `sentence`. */
  readonly predicate: string;
  /** For the logs only: what a library said, or which structure was broken. */
  readonly detail?: string;
}

/** The problem as a sentence about a subject: `"cat.jpg" is empty (0 bytes)`. */
export function sentence(problem: ImageProblem, subject = 'The file'): string {
  return `${subject} ${problem.predicate}`;
}

function problem(code: ProblemCode, predicate: string, detail?: string): ImageProblem {
  return detail === undefined ? { code, predicate } : { code, predicate, detail };
}

export const problems = {
  empty: () => problem('empty_file', 'is empty (0 bytes)'),

  /** `what` names the detected type ("HEIC", "PDF"); undefined when nothing was recognised. */
  unsupported: (what: string | undefined) =>
    problem(
      'unsupported_type',
      `is not a supported image${what ? ` (it is a ${what} file)` : ''}: only ${ACCEPTED_NAMES} images are accepted`,
    ),

  /** The content does not match the format it claims to be (e.g. a GIF renamed and relabelled). */
  mismatched: (claimed: FormatInfo, actual: string) =>
    problem(
      'unsupported_type',
      `is not a real ${claimed.name} image (its data is ${actual}): only ${ACCEPTED_NAMES} images are accepted`,
    ),

  truncated: (format: FormatInfo, detail?: string) =>
    problem(
      'corrupt_image',
      `is incomplete: the ${format.name} data ends early, as if the file was cut off while it was copied or uploaded`,
      detail,
    ),

  damaged: (format: FormatInfo, detail?: string) =>
    problem(
      'corrupt_image',
      `is damaged: its ${format.name} data is broken and cannot be turned back into a picture`,
      detail,
    ),

  unreadableHeader: (format: FormatInfo | undefined, detail?: string) =>
    problem(
      'corrupt_image',
      `is not a readable image: its ${format ? `${format.name} ` : ''}header is damaged or cut short`,
      detail,
    ),

  /** `size` is undefined when only the reading noticed (the limit was passed mid-stream). */
  tooLarge: (size: number | undefined, maxBytes: number) => {
    const limit = formatBytes(maxBytes);
    const actual = size === undefined ? undefined : formatBytes(size);
    const measured = actual === undefined || actual === limit ? 'is' : `is ${actual},`;
    return problem('too_large', `${measured} over the limit of ${limit} for one image`);
  },

  tooManyPixels: (width: number, height: number, maxPixels: number) =>
    problem(
      'too_many_pixels',
      `is ${width} × ${height} pixels (${formatMegapixels(width * height)}), over the limit of ${formatMegapixels(maxPixels)}`,
    ),

  /** The pixel limit was hit inside the decoder, before the size could be reported. */
  overPixelLimit: (maxPixels: number, detail?: string) =>
    problem('too_many_pixels', `is over the limit of ${formatMegapixels(maxPixels)}`, detail),

  decodeTimeout: (detail?: string) =>
    problem('decode_timeout', 'took too long to decode (it may be unusually complex)', detail),

  originalMissing: () => problem('original_missing', 'no longer exists in storage'),

  /** The model would not describe it (a safety filter); `reason` is the model's short code. */
  modelDeclined: (reason: string, detail?: string) =>
    problem('not_described', `was not described: Gemini declined to describe it (${reason})`, detail),

  /** The model's API refused the request for this image (a 4xx); its own words go to `detail`. */
  modelRefused: (status: string, detail?: string) =>
    problem('not_described', `was not described: Gemini refused the request (${status})`, detail),

  /**
   * Gemini answered "Unable to process input image. Please retry" to every attempt: the copy sent
   * is a plain JPEG, so the row says so and can be retried later.
   */
  imageNotProcessed: (detail?: string) =>
    problem('not_described', 'was not described: Gemini could not process the image', detail),

  /** The model answered without a description. */
  noDescription: (detail?: string) =>
    problem('not_described', 'was not described: Gemini answered without a description', detail),

  /**
   * The model answered, again and again, with something that is not the description asked for (not
   * JSON, the wrong shape, an empty caption); what was wrong goes to `detail`.
   */
  malformedAnswer: (detail?: string) =>
    problem('not_described', "was not described: Gemini's answers were not a usable description", detail),

  /** Every answer was cut off (finish reason MAX_TOKENS) before it was complete. */
  truncatedAnswer: (detail?: string) =>
    problem(
      'not_described',
      "was not described: Gemini's answers were cut off before they were complete",
      detail,
    ),

  /** The workers never finished a stage (the sweep gave up on it). */
  neverFinished: () =>
    problem(
      'never_finished',
      'was not processed: the workers did not answer after several tries; upload it again',
    ),
} as const;
