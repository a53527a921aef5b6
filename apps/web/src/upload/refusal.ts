/** Why a file was refused; the short code is the `error` field of the JSON response. */
export type RefusalCode =
  | 'empty_file'
  | 'unsupported_type'
  | 'corrupt_image'
  | 'too_large'
  | 'too_many_pixels'
  | 'too_many_files'
  | 'no_file';

const STATUS: Readonly<Record<RefusalCode, number>> = {
  empty_file: 400,
  unsupported_type: 400,
  corrupt_image: 400,
  no_file: 400,
  too_large: 413,
  too_many_files: 413,
  too_many_pixels: 422,
};

/** A file the upload rules refuse. It becomes a 4xx response (or one entry of `refused`) at the route. */
export class UploadRefusedError extends Error {
  override readonly name = 'UploadRefusedError';
  readonly code: RefusalCode;
  readonly statusCode: number;
  constructor(code: RefusalCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.statusCode = STATUS[code];
  }
}

/** The refusal of a file over MAX_UPLOAD_BYTES, whether its header or its body reveals it. */
export function tooLarge(maxUploadBytes: number): UploadRefusedError {
  return new UploadRefusedError('too_large', `is too large: the limit is ${formatBytes(maxUploadBytes)}`);
}

/** Formats a byte count for messages: "50 MiB", "139434 bytes". */
export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  if (Number.isInteger(mib)) return `${mib} MiB`;
  if (bytes >= 10 * 1024 * 1024) return `${mib.toFixed(1)} MiB`;
  return `${bytes} bytes`;
}
