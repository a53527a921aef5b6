import type { Stage } from '@annot/db';
import type { Storage } from '@annot/storage';

/**
 * How the web tier asks for one stage of an image to run again (POST /api/images/:id/retry):
 * resolves once the request is on its way to the stage's worker, rejects when it could not be
 * delivered (the stage stays pending, and the reconciliation sweep sends it again).
 */
export type RequestStage = (originalKey: string, stage: Stage) => Promise<void>;

export class StageRequestError extends Error {
  override readonly name = 'StageRequestError';
}

/**
 * The fallback until a per-stage retry event exists: raise the original's "Object Created"
 * event again. Both workers receive it; the one whose stage is completed skips it (its "already
 * done?" check). A store that raises no events (a bare directory) cannot deliver it.
 */
export function renotifyRequester(storage: Storage): RequestStage {
  return async (originalKey) => {
    if (!(await storage.originals.renotify(originalKey))) {
      throw new StageRequestError('This storage raises no events: the retry cannot be sent to the workers');
    }
  };
}
