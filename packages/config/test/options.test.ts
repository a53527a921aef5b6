/** The settings of the stack options: the shared cache (REDIS_*) and the read replica. */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createReplicaUrlRefresher,
  loadConfig,
  resolveSecrets,
  type SecretFetcher,
} from '../src/index.ts';

const cwd = '/srv/app';
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-AbCdEf';
const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cache-token-AbCdEf';
const fetcher: SecretFetcher = async (id) => {
  if (id === SECRET) return JSON.stringify({ username: 'annot', password: 'p@ss/word' });
  if (id === TOKEN_ARN) return 'token-with-symbols!&#\n';
  throw new Error(`unexpected secret ${id}`);
};

describe('the shared cache settings', () => {
  it('are off without REDIS_URL', () => {
    expect(loadConfig({}, cwd).redis).toBeUndefined();
  });

  it('read REDIS_URL with documented defaults', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://cache.internal:6379' }, cwd).redis).toEqual({
      url: 'rediss://cache.internal:6379',
      authTokenSecretArn: undefined,
      keyPrefix: 'annot:',
      commandTimeoutMs: 250,
      connectTimeoutMs: 2000,
    });
  });

  it('refuse a URL that is not redis:// or rediss://, without showing it', () => {
    const message = problems({ REDIS_URL: 'http://user:secret@cache:6379' });
    expect(message).toMatch(
      /REDIS_URL: expected redis:\/\/host:6379 or rediss:\/\/host:6379 \(TLS\) \(got \(hidden\)\)/,
    );
    expect(message).not.toContain('secret@');
  });

  it('refuse an auth token secret without a URL', () => {
    expect(problems({ REDIS_AUTH_TOKEN_SECRET_ARN: TOKEN_ARN })).toMatch(
      /REDIS_AUTH_TOKEN_SECRET_ARN: needs REDIS_URL too/,
    );
  });

  it('put the AUTH token from Secrets Manager into the URL at start, never in the environment', async () => {
    const config = loadConfig(
      { REDIS_URL: 'rediss://cache.internal:6379', REDIS_AUTH_TOKEN_SECRET_ARN: TOKEN_ARN },
      cwd,
    );
    const resolved = await resolveSecrets(config, fetcher);
    const url = new URL(resolved.redis!.url);
    expect(url.protocol).toBe('rediss:');
    expect(url.host).toBe('cache.internal:6379');
    expect(decodeURIComponent(url.password)).toBe('token-with-symbols!&#');
  });
});

describe('the read replica settings', () => {
  it('DATABASE_READ_URL is the replica beside DATABASE_URL', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'mysql://u:p@primary:3306/images',
        DATABASE_READ_URL: 'mysql://u:p@replica:3306/images',
      },
      cwd,
    );
    expect(config.database).toMatchObject({
      kind: 'mysql',
      url: 'mysql://u:p@primary:3306/images',
      replica: { url: 'mysql://u:p@replica:3306/images', host: undefined },
    });
  });

  it('no replica setting: no replica', () => {
    const config = loadConfig({ DATABASE_URL: 'mysql://u:p@primary:3306/images' }, cwd);
    expect(config.database).not.toHaveProperty('replica');
  });

  it('refuses a replica without its primary, or both kinds of replica setting', () => {
    expect(problems({ DATABASE_READ_URL: 'mysql://u:p@replica:3306/images' })).toMatch(
      /DATABASE_READ_URL: needs DATABASE_URL/,
    );
    expect(problems({ DATABASE_URL: 'mysql://u:p@primary/images', DB_READ_HOST: 'replica' })).toMatch(
      /DB_READ_HOST: needs DATABASE_SECRET_ARN/,
    );
    expect(problems({ DB_HOST: 'primary', DATABASE_SECRET_ARN: SECRET, DB_READ_HOST: 'bad host!' })).toMatch(
      /DB_READ_HOST: expected host names separated by commas/,
    );
  });

  it('DB_READ_HOST takes the secret’s credentials; each process picks one of the hosts', async () => {
    const hosts = ['replica-1.internal', 'replica-2.internal'];
    const env = { DB_HOST: 'primary.internal', DATABASE_SECRET_ARN: SECRET, DB_READ_HOST: hosts.join(', ') };
    const picked = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const resolved = await resolveSecrets(loadConfig(env, cwd), fetcher);
      if (resolved.database.kind !== 'mysql') throw new Error('expected MySQL');
      const url = new URL(resolved.database.replica!.url!);
      expect(decodeURIComponent(url.username)).toBe('annot');
      expect(decodeURIComponent(url.password)).toBe('p@ss/word');
      expect(new URL(resolved.database.url!).hostname).toBe('primary.internal');
      picked.add(url.hostname);
    }
    // 40 picks of 2 hosts: both are picked but with probability 2^-39.
    expect([...picked].sort()).toEqual(hosts);
  });

  it('the replica’s password is re-read from the same secret after a rotation', async () => {
    const config = loadConfig(
      { DB_HOST: 'primary.internal', DATABASE_SECRET_ARN: SECRET, DB_READ_HOST: 'replica.internal' },
      cwd,
    );
    const refresh = createReplicaUrlRefresher(config, fetcher);
    expect(new URL(await refresh!()).hostname).toBe('replica.internal');
    expect(createReplicaUrlRefresher(loadConfig({}, cwd), fetcher)).toBeUndefined();
  });
});
