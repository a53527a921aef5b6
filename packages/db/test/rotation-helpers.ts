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
  /**
   * KILLs every session of the user and waits until the pools have seen their sockets close (this
   * process's open TCP sockets drop by as many: the pools are in this process).
   */
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
      const socketsBefore = openSockets();
      const ids = await sessionIds();
      for (const id of ids) {
        await admin.query(`KILL CONNECTION ${id}`).catch(() => undefined); // it may just have ended
      }
      await eventually(async () => (await sessionIds()).length === 0, 'sessions to end');
      // The server has closed them; mysql2 drops a connection from its pool as its socket closes.
      await eventually(
        async () => openSockets() <= socketsBefore - ids.length,
        'the pools to drop the sockets',
      );
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

/** This process's open TCP sockets. */
const openSockets = () => process.getActiveResourcesInfo().filter((type) => type === 'TCPSocketWrap').length;

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
 * A refresher that returns whatever `current` is set to, and counts its calls. Held (`hold()`), it
 * answers only once released: the Secrets Manager round trip, during which refused operations pile up.
 */
export function variableRefresher(initial: string) {
  const state = { current: initial, calls: 0 };
  let gate: Promise<void> = Promise.resolve();
  let release = () => {};
  return {
    state,
    hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    refresh: async () => {
      state.calls++;
      await gate;
      return state.current;
    },
  };
}

/** A clock the test moves by hand. */
export function steppedClock(start = 1_000_000) {
  let ms = start;
  return {
    now: () => ms,
    advance(by: number) {
      ms += by;
    },
  };
}

/** The server's count of refused logins (every user's: read the change, not the value). */
export async function accessDeniedErrors(): Promise<number> {
  const admin = await mysql.createConnection({ uri: TEST_MYSQL_URL });
  try {
    const [rows] = (await admin.query("SHOW GLOBAL STATUS LIKE 'Access_denied_errors'")) as unknown as [
      { Value: string }[],
    ];
    return Number(rows[0]?.Value);
  } finally {
    await admin.end();
  }
}
