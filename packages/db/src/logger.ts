/**
 * The little the database package logs. pino and Fastify's logger satisfy it, so apps pass theirs.
 */
export interface DbLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export const silentLogger: DbLogger = {
  info() {},
  warn() {},
};
