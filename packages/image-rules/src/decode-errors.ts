import type { FormatInfo } from './formats.ts';
import { type ImageProblem, problems } from './problems.ts';

/**
 * Reads an error from sharp/libvips as a problem with the image, in plain words, or returns
 * undefined when the error is not about the image (out of memory: a retry elsewhere may work).
 * The library's message goes to `detail`, for the logs, never into the sentence people read.
 *
 * Decoding is deterministic: the same bytes fail the same way every time, so any other decode
 * error is the file's; retrying it would only loop until the dead-letter queue.
 */
export function classifyDecodeError(
  error: unknown,
  context: { readonly format: FormatInfo | undefined; readonly maxInputPixels: number },
): ImageProblem | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const detail = errorDetail(error)!;
  if (/out of memory|cannot allocate|memory allocation failed/i.test(message)) return undefined;
  if (/exceeds pixel limit/i.test(message)) return problems.overPixelLimit(context.maxInputPixels, detail);
  if (/timeout/i.test(message)) return problems.decodeTimeout(detail);
  if (/unsupported image format|corrupt header|bad header|not a known file format/i.test(message)) {
    return problems.unreadableHeader(context.format, detail);
  }
  if (context.format === undefined) return problems.unreadableHeader(undefined, detail);
  if (/premature end|truncat|unexpected end|end of file|eof/i.test(message)) {
    return problems.truncated(context.format, detail);
  }
  return problems.damaged(context.format, detail);
}

/** What a log line keeps of an error for `detail`: the first line of its message, at most 300 characters. */
export function errorDetail(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 300);
}
