import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COOKIE_SECRET_FILE, localCookieSecret } from '../src/auth/cookie-secret.ts';

describe('the local cookie secret', () => {
  it('is generated once, mode 0600, the same for processes starting together, and reused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cookie-secret-'));
    const dataDir = path.join(dir, 'data');
    try {
      const secrets = await Promise.all(Array.from({ length: 8 }, () => localCookieSecret(dataDir)));
      expect(new Set(secrets).size).toBe(1);
      expect(secrets[0]).toMatch(/^[0-9a-f]{64}$/);
      expect((await stat(path.join(dataDir, COOKIE_SECRET_FILE))).mode & 0o777).toBe(0o600);
      expect(await readdir(dataDir)).toEqual([COOKIE_SECRET_FILE]);
      expect(await localCookieSecret(dataDir)).toBe(secrets[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
