/**
 * The little the storage package logs: pino and Fastify's logger satisfy it (the shape of
 * @annot/db's DbLogger), so apps pass theirs; a Lambda adapts its Powertools Logger.
 */
export interface StorageLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/** What a store logs when no logger is given: nothing. */
export const silentStorageLogger: StorageLogger = { warn() {} };
