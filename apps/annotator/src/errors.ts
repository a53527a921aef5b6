/**
 * How an annotation can fail besides permanently. A permanent failure (not an image, corrupt, over
 * limits, blocked by the model) is @annot/worker-runtime's PermanentFailure, which the stage runner
 * records as annotation_status = failed; these are thrown so the platform retries (and, in AWS,
 * the dead-letter queue keeps the event).
 */

/** A later attempt may succeed: throttling, server errors, timeouts, network failures. */
export class TransientAnnotationError extends Error {
  override readonly name = 'TransientAnnotationError';
  /** How many model calls were made before giving up. */
  readonly attempts: number;
  constructor(message: string, attempts: number, options?: ErrorOptions) {
    super(message, options);
    this.attempts = attempts;
  }
}

/**
 * The annotator is misconfigured (bad or missing API key, unknown model, no permission). Not the
 * image's fault, so the row is not marked failed: the error is thrown, the platform's retries and
 * dead-letter queue keep the event, and it can be redriven once the configuration is fixed.
 */
export class AnnotatorConfigurationError extends Error {
  override readonly name = 'AnnotatorConfigurationError';
}
