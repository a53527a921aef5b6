import type { EventWorker } from '../types.ts';

/**
 * A worker whose code is imported and built on its first event instead of during the Lambda's init
 * (say, sharp and the image pipeline): init then loads only what every invocation needs first (the
 * configuration, the logger, the storage and database clients), and `ready()` builds it earlier
 * where that is wanted (the offline models, loaded during init). Later events reuse the one built;
 * a build that failed (a module that did not load) is tried again on the next event.
 */
export function lazyWorker(
  build: () => Promise<EventWorker>,
): EventWorker & { ready(): Promise<EventWorker> } {
  let building: Promise<EventWorker> | undefined;
  const ready = () => {
    building ??= build().catch((error: unknown) => {
      building = undefined;
      throw error;
    });
    return building;
  };
  return {
    ready,
    handle: async (event, context) => (await ready()).handle(event, context),
  };
}
