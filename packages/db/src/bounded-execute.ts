import type { Pool as CorePool, PoolConnection as CorePoolConnection } from 'mysql2';
import type { Pool } from 'mysql2/promise';
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
 * is fatal, and reusable when it is not. A connection that comes free after the time ran out goes
 * straight back to the pool.
 *
 * It drives mysql2's callback pool underneath the promise one, with one timer and one promise per
 * statement: the promise API wraps every connection it hands out in a new object and every call in
 * a promise of its own (measured under the upload bench, BENCHMARKS.md).
 */
export function executeWithin(
  pool: Pool,
  sql: string,
  params: readonly SqlValue[],
  timeoutMs: number,
): Promise<ExecuteResult> {
  const core = (pool as unknown as { pool: CorePool }).pool;
  return new Promise((resolve, reject) => {
    let connection: CorePoolConnection | undefined;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      if (connection) {
        reject(new StatementTimeoutError(timeoutMs));
        discard(connection);
      } else {
        reject(new ConnectionWaitTimeoutError(timeoutMs));
      }
    }, timeoutMs);
    core.getConnection((error, acquired) => {
      if (error) {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(error);
        }
        return;
      }
      if (settled) {
        acquired.release();
        return;
      }
      connection = acquired;
      acquired.execute(sql, params as SqlValue[], (failure, rows, fields) => {
        // After a timeout the connection was destroyed: nothing to release, nobody to answer.
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        acquired.release();
        if (failure) reject(failure);
        else resolve([rows, fields] as unknown as ExecuteResult);
      });
    });
  });
}

/** Takes the connection out of the pool and closes its socket at once. */
function discard(connection: CorePoolConnection): void {
  connection.destroy();
  (connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}
