import { errorDetail, type ImageProblem, sentence } from '@annot/image-rules';

/**
 * The one permanent failure of a stage: retrying cannot help (the original is not a usable image,
 * is over a limit, is gone, or the model refused it). The stage runner records it as the stage's
 * `failed` status with `reason`, a sentence written for the person looking at the gallery;
 * `detail` (a library's message) goes to the logs only.
 */
export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
  readonly reason: string;
  readonly detail: string | undefined;
  constructor(reason: string, options?: ErrorOptions & { detail?: string }) {
    super(reason, options);
    this.reason = reason;
    this.detail = options?.detail ?? errorDetail(options?.cause);
  }

  /** The failure for a problem with the image, in @annot/image-rules' words. */
  static of(problem: ImageProblem, options?: ErrorOptions): PermanentFailure {
    return new PermanentFailure(sentence(problem), {
      ...options,
      detail: problem.detail ?? errorDetail(options?.cause),
    });
  }
}
