import { classifyDecodeError } from '@annot/image-rules';
import { PermanentFailure } from './failure.ts';
import type { CheckedImage } from './read-original.ts';

/**
 * Runs one decoder call (sharp) on a checked image, turning a decode error into the permanent
 * failure @annot/image-rules words for it; an error that is not the image's (out of memory) is
 * rethrown for a retry.
 */
export async function decoding<T>(
  step: () => Promise<T>,
  image: CheckedImage,
  maxInputPixels: number,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const problem = classifyDecodeError(error, { format: image.format, maxInputPixels });
    throw problem ? PermanentFailure.of(problem, { cause: error }) : error;
  }
}
