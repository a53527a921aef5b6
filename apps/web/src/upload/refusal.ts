import type { ImageProblem, ProblemCode } from '@annot/image-rules';
import { problems } from '@annot/image-rules';

/** Why a file was refused; the short code is the `error` field of the JSON response. */
export type RefusalCode =
  | Extract<
      ProblemCode,
      'empty_file' | 'unsupported_type' | 'corrupt_image' | 'too_large' | 'too_many_pixels'
    >
  | 'too_many_files'
  | 'no_file'
  | 'duplicate_in_progress';

const STATUS: Readonly<Record<RefusalCode, number>> = {
  empty_file: 400,
  unsupported_type: 400,
  corrupt_image: 400,
  no_file: 400,
  too_large: 413,
  too_many_files: 413,
  too_many_pixels: 422,
  duplicate_in_progress: 409,
};

/**
 * A file the upload rules refuse. It becomes a 4xx response (or one entry of `refused`) at the
 * route. The message is the problem's predicate ("is empty (0 bytes)"), which the route puts after
 * the file's name; the sentences themselves are @annot/image-rules'.
 */
export class UploadRefusedError extends Error {
  override readonly name = 'UploadRefusedError';
  readonly code: RefusalCode;
  readonly statusCode: number;
  constructor(code: RefusalCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.statusCode = STATUS[code];
  }

  /** The refusal of a file with this problem; a problem only the workers meet is a bad image. */
  static of(problem: ImageProblem, options?: ErrorOptions): UploadRefusedError {
    const code = problem.code in STATUS ? (problem.code as RefusalCode) : 'corrupt_image';
    return new UploadRefusedError(code, problem.predicate, options);
  }
}

/** The refusal of a file over MAX_UPLOAD_BYTES, whether its header or its body reveals it. */
export function tooLarge(maxUploadBytes: number): UploadRefusedError {
  return UploadRefusedError.of(problems.tooLarge(undefined, maxUploadBytes));
}
