import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, TEST_MYSQL_URL, type TestDatabase } from '@annot/testing';
import mysql from 'mysql2/promise';
import type { DbLogger } from '../src/index.ts';

/**
 * A fresh database and a dedicated MariaDB user whose password the test rotates as RDS would,
 * administered from a root connection.
 */
export interface RotatingUser {
  readonly db: TestDatabase;
  readonly name: string;
  /** mysql:// URL of the test database as this user, with `password`. */
  urlWith(password: string): string;
  /** ALTER USER … IDENTIFIED BY: existing sessions keep working, new logins need the new password. */
  setPassword(password: string): Promise<void>;
  /** KILLs every session of the user and waits until the pools have seen their sockets close. */
  killSessions(): Promise<void>;
  /** The user's sessions on the server: the statement each is running, or null when idle. */
  sessions(): Promise<(string | null)[]>;
  drop(): Promise<void>;
}

export async function createRotatingUser(password: string): Promise<RotatingUser> {
  const db = await createTestDatabase('db_rotate');
  const admin = await mysql.createConnection({ uri: TEST_MYSQL_URL });
  const name = `u_${Math.random().toString(36).slice(2, 10)}`;
  await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [name, '%', password]);
  await admin.query(`GRANT ALL PRIVILEGES ON \`${db.name}\`.* TO ?@?`, [name, '%']);

  const processes = async () => {
    const [rows] = await admin.query('SELECT id, info FROM information_schema.processlist WHERE user = ?', [
      name,
    ]);
    return rows as { id: number; info: string | null }[];
  };
  const sessionIds = async () => (await processes()).map((row) => Number(row.id));

  return {
    db,
    name,
    urlWith(secret) {
      const url = new URL(db.url);
      url.username = name;
      url.password = secret;
      return url.toString();
    },
    async setPassword(secret) {
      await admin.query('ALTER USER ?@? IDENTIFIED BY ?', [name, '%', secret]);
    },
    async killSessions() {
      for (const id of await sessionIds()) {
        await admin.query(`KILL CONNECTION ${id}`).catch(() => undefined); // it may just have ended
      }
      await eventually(async () => (await sessionIds()).length === 0, 'sessions to end');
      // The server has closed the sockets; give mysql2 a moment to drop them from its pool.
      await sleep(100);
    },
    async sessions() {
      return (await processes()).map((row) => row.info);
    },
    async drop() {
      try {
        await admin.query('DROP USER IF EXISTS ?@?', [name, '%']);
      } finally {
        await admin.end();
        await db.drop();
      }
    },
  };
}

/** Polls `check` until it holds (at most ~5 s). */
export async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A logger that keeps what it is given, to check that warnings come out without secrets. */
export function recordingLogger(): DbLogger & { readonly warnings: string[]; readonly text: () => string } {
  const entries: unknown[] = [];
  const warnings: string[] = [];
  return {
    warnings,
    text: () => JSON.stringify(entries),
    info(details, message) {
      entries.push({ details, message });
    },
    warn(details, message) {
      entries.push({ details, message });
      warnings.push(message);
    },
  };
}

/**
 * A refresher that returns whatever `current` is set to, and counts its calls. `delayMs` stands
 * for the Secrets Manager round trip, during which more refused operations pile up.
 */
export function variableRefresher(initial: string, delayMs = 0) {
  const state = { current: initial, calls: 0 };
  return {
    state,
    refresh: async () => {
      state.calls++;
      await sleep(delayMs);
      return state.current;
    },
  };
}
