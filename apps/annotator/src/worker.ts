import type { AppConfig } from '@annot/config';
import { createStageWorker, type EventWorker, type StageDeps, stageSettings } from '@annot/worker-runtime';
import { AnnotatorConfigurationError } from './errors.ts';
import type { Annotator, AnnotatorSettings } from './types.ts';

/** The annotator's settings from the one configuration: built here, for Lambda and local runs alike. */
export function annotatorSettings(
  config: Pick<AppConfig, 'annotator' | 'limits' | 'stageLeaseMs' | 'workerDeadline'>,
): AnnotatorSettings {
  return { ...config.annotator, ...stageSettings(config), workerDeadline: config.workerDeadline };
}

export interface AnnotationWorkerDeps extends StageDeps {
  readonly annotator: Annotator;
  readonly settings: AnnotatorSettings;
}

/**
 * The transport-independent annotation worker, on the shared stage runner: it resolves when the
 * annotation is recorded, when a permanent failure is recorded as annotation_status = failed, or
 * when there is nothing to do (a duplicate delivery, a withdrawn upload: no second model call). It throws on transient failures and on configuration errors (so the
 * platform retries and the dead-letter queue keeps the event), and throws InvalidEventError, after
 * logging it, on a malformed event.
 */
export function createAnnotationWorker(deps: AnnotationWorkerDeps): EventWorker {
  const { annotator, repository } = deps;
  return createStageWorker(deps, {
    name: 'annotation',
    maxInputBytes: deps.settings.maxInputBytes,
    leaseMs: deps.settings.stageLeaseMs,
    logFields: { annotator: annotator.name, model: annotator.model },
    // A redelivered event for an image this annotator and model already described: no second call.
    // A row described by another annotator or model (say, local before a Gemini key was set) is redone.
    alreadyDone: (row) =>
      row.annotationStatus === 'completed' &&
      row.annotator === annotator.name &&
      row.annotationModel === annotator.model
        ? 'already annotated'
        : undefined,
    // The model's attempts and waits stop before the deadline (Lambda: its remaining time).
    deadline: deps.settings.workerDeadline,
    work: (image, { deadline }) => annotator.describe(image, { deadline }),
    async record(result, _image, key) {
      const recorded = await repository.recordAnnotation({
        ...result,
        originalKey: key,
        annotator: annotator.name,
        model: annotator.model,
      });
      return recorded
        ? {
            characters: result.annotation.length,
            ...(result.tags ? { tags: result.tags.length } : {}),
            ...(result.textInImage ? { textCharacters: result.textInImage.length } : {}),
          }
        : null;
    },
    describeError: (error) =>
      error instanceof AnnotatorConfigurationError
        ? 'Annotator is misconfigured; rethrowing so the event is kept for a redrive'
        : undefined,
  });
}
