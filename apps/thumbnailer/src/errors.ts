/**
 * A failure that retrying cannot fix: the original is not a supported image, is corrupt or
 * truncated, is over a limit, or is gone. The worker records it as thumbnail_status = failed with
 * `reason`, which is written for the person looking at the gallery.
 */
export class PermanentThumbnailError extends Error {
  override readonly name = 'PermanentThumbnailError';
  /** A sentence a person can read, without stack traces or library jargon. */
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.reason = reason;
  }
}

const MB = 1024 * 1024;

/** "4.3 gigapixels", "61.2 MP": the pixel count the way people talk about cameras. */
export function formatPixels(pixels: number): string {
  if (pixels >= 1e9) return `${(pixels / 1e9).toFixed(1)} gigapixels`;
  return `${(pixels / 1e6).toFixed(1).replace(/\.0$/, '')} MP`;
}

/** "12.5 MB" (binary megabytes, as the upload limit is configured). */
export function formatBytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1).replace(/\.0$/, '')} MB`;
}

export function pixelLimitError(width: number, height: number, maxPixels: number, cause?: unknown) {
  return new PermanentThumbnailError(
    `Image is ${width} x ${height} = ${formatPixels(width * height)}, over the ${formatPixels(maxPixels)} limit`,
    { cause },
  );
}

/** `size` is undefined when the file was cut off while streaming, so only "over" is known. */
export function tooLargeError(size: number | undefined, maxBytes: number, cause?: unknown) {
  const actual = size === undefined ? 'The file is' : `The file is ${formatBytes(size)},`;
  return new PermanentThumbnailError(`${actual} over the ${formatBytes(maxBytes)} limit for images`, {
    cause,
  });
}

/**
 * Maps an error from sharp/libvips to a permanent failure with a readable reason, or returns
 * undefined when the error is not about the image (out of memory: worth a retry elsewhere).
 *
 * Decoding is deterministic: the same bytes fail the same way every time, so any other decode
 * error is permanent; retrying it would only loop until the dead-letter queue.
 */
export function classifySharpError(error: unknown, maxPixels: number): PermanentThumbnailError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (/out of memory|cannot allocate|memory allocation failed/i.test(message)) return undefined;
  if (/exceeds pixel limit/i.test(message)) {
    return new PermanentThumbnailError(`Image is over the ${formatPixels(maxPixels)} limit`, {
      cause: error,
    });
  }
  if (/unsupported image format/i.test(message)) {
    return new PermanentThumbnailError('Not a supported image (JPEG, PNG, WebP, GIF or AVIF)', {
      cause: error,
    });
  }
  if (/timeout/i.test(message)) {
    return new PermanentThumbnailError('The image took too long to decode', { cause: error });
  }
  if (
    /premature end|truncat|corrupt|read error|invalid|no image|bad|unexpected end|not a|damaged/i.test(
      message,
    )
  ) {
    return new PermanentThumbnailError('The image file is corrupt or truncated', { cause: error });
  }
  return new PermanentThumbnailError(`The image could not be decoded (${firstLine(message)})`, {
    cause: error,
  });
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').slice(0, 200);
}
