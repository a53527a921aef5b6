import { describe, expect, it } from 'vitest';
import { createDatabaseUrlRefresher, type FetchOptions, loadConfig, resolveSecrets } from '../src/index.ts';

const cwd = '/srv/app';
const awsEnv = { DATABASE_SECRET_ARN: 'arn:db', DB_HOST: 'db.internal', DB_NAME: 'images' };

/** A Secrets Manager stand-in whose value changes on rotation, with a cache like Powertools'. */
function fakeSecretsManager(password: string) {
  const state = { stored: password, cached: undefined as string | undefined };
  const calls: { id: string; options: FetchOptions | undefined }[] = [];
  const secret = () => JSON.stringify({ username: 'admin', password: state.stored });
  return {
    calls,
    rotate(next: string) {
      state.stored = next;
    },
    async fetch(id: string, options?: FetchOptions): Promise<string> {
      calls.push({ id, options });
      if (options?.forceFetch || state.cached === undefined) state.cached = secret();
      return state.cached;
    },
  };
}

const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

describe('createDatabaseUrlRefresher', () => {
  it('re-reads the rotated secret past the cache and rebuilds the URL', async () => {
    const secrets = fakeSecretsManager('first');
    const config = await resolveSecrets(loadConfig(awsEnv, cwd), (id, options) => secrets.fetch(id, options));
    const refresh = createDatabaseUrlRefresher(config, (id, options) => secrets.fetch(id, options));
    if (!refresh) throw new Error('expected a refresher for a secret-backed database');
    expect(passwordOf((config.database as { url: string }).url)).toBe('first');

    secrets.rotate('s3c/ret@2');
    const url = new URL(await refresh());
    expect([url.hostname, url.port, url.pathname, url.username]).toEqual([
      'db.internal',
      '3306',
      '/images',
      'admin',
    ]);
    expect(passwordOf(url.toString())).toBe('s3c/ret@2');
    expect(secrets.calls.at(-1)).toEqual({ id: 'arn:db', options: { forceFetch: true } });
  });

  it('works on a config whose secrets are not resolved yet', async () => {
    const secrets = fakeSecretsManager('pw');
    const refresh = createDatabaseUrlRefresher(loadConfig(awsEnv, cwd), (id, options) =>
      secrets.fetch(id, options),
    );
    expect(passwordOf((await refresh?.()) ?? '')).toBe('pw');
  });

  it('surfaces a malformed secret', async () => {
    const refresh = createDatabaseUrlRefresher(loadConfig(awsEnv, cwd), async () => '{"user":"x"}');
    await expect(refresh?.()).rejects.toThrow(/DATABASE_SECRET_ARN/);
  });

  it('is undefined when the URL does not come from a secret', () => {
    const never = async () => Promise.reject(new Error('must not fetch'));
    const direct = loadConfig({ ...awsEnv, DATABASE_URL: 'mysql://app:pw@db.internal:3306/images' }, cwd);
    expect(createDatabaseUrlRefresher(direct, never)).toBeUndefined();
    expect(createDatabaseUrlRefresher(loadConfig({}, cwd), never)).toBeUndefined();
  });
});
