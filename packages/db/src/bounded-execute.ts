import type { Pool, PoolConnection } from 'mysql2/promise';
import type { SqlValue } from './driver.ts';

/** No pooled connection came free, and no new one could be made, within the time a statement has. */
export class ConnectionWaitTimeoutError extends Error {
  override readonly name = 'ConnectionWaitTimeoutError';
  /** As mysql2's own connect timeout. */
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`No database connection was free within ${timeoutMs} ms`);
  }
}

/** A statement got no answer in the time it had; its connection was destroyed. */
export class StatementTimeoutError extends Error {
  override readonly name = 'StatementTimeoutError';
  /** As mysql2's own `timeout` query option. */
  readonly code = 'PROTOCOL_SEQUENCE_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`The database did not answer within ${timeoutMs} ms`);
  }
}

type ExecuteResult = Awaited<ReturnType<Pool['execute']>>;

/**
 * Runs one prepared statement within `timeoutMs`, from asking the pool for a connection (a free
 * one, or a new one: the pool's connect timeout should be no longer) to its result. A frozen server
 * (packets dropped, no reset) then costs a caller this long, not as long as the partition lasts.
 *
 * The bound is this module's own timer, not mysql2's `timeout` query option: that one covers only
 * the EXECUTE, while a statement new to the connection is PREPAREd first, with no timeout. And a
 * connection whose statement ran out is destroyed, never released: its statement is still queued
 * on it, so every later one would wait behind it, for good when the server is gone. (mysql2's
 * `destroy` only half-closes the socket, which a frozen peer never completes, so the socket is
 * destroyed too.) A connection that fails otherwise is dropped by the pool itself when the error
 * is fatal, and reusable when it is not.
 */
export async function executeWithin(
  pool: Pool,
  sql: string,
  params: readonly SqlValue[],
  timeoutMs: number,
): Promise<ExecuteResult> {
  const started = performance.now();
  const connection = await acquireWithin(pool, timeoutMs);
  const remaining = Math.max(1, timeoutMs - (performance.now() - started));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new StatementTimeoutError(timeoutMs));
      discard(connection);
    }, remaining);
    connection.execute(sql, params as SqlValue[]).then(
      (result) => {
        clearTimeout(timer);
        connection.release();
        resolve(result);
      },
      (error: unknown) => {
        clearTimeout(timer);
        connection.release();
        reject(error);
      },
    );
  });
}

/** A connection from the pool within `timeoutMs`; one that comes later goes straight back. */
function acquireWithin(pool: Pool, timeoutMs: number): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new ConnectionWaitTimeoutError(timeoutMs));
    }, timeoutMs);
    pool.getConnection().then(
      (connection) => {
        clearTimeout(timer);
        if (late) connection.release();
        else resolve(connection);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Takes the connection out of the pool and closes its socket at once. */
function discard(connection: PoolConnection): void {
  connection.destroy();
  (connection.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}
