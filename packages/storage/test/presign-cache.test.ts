import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it, vi } from 'vitest';
import { S3ObjectStore } from '../src/index.ts';

// Signing needs no server: these clients point at AWS but never send a request.
function setup(
  options: {
    cacheSeconds?: number;
    maxEntries?: number;
    credentials?: S3Client['config']['credentials'];
  } = {},
) {
  const clock = {
    t: Date.parse('2025-06-01T12:00:00Z'),
    now() {
      return this.t;
    },
  };
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: options.credentials ?? { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  const store = new S3ObjectStore({
    client,
    bucket: 'annot-thumbnails',
    presign: {
      expiresSeconds: 3600,
      cacheSeconds: options.cacheSeconds ?? 300,
      ...(options.maxEntries ? { maxEntries: options.maxEntries } : {}),
      clock,
    },
  });
  return { clock, client, store };
}

const credentialOf = (url: string) => new URL(url).searchParams.get('X-Amz-Credential')?.split('/')[0];

describe('presigned URL cache', () => {
  it('returns the identical URL for the same key without signing again, until the TTL passes', async () => {
    const { clock, store } = setup();
    const first = await store.urlFor('thumbnails/a/one.jpg');
    clock.t += 299_000;
    expect(await store.urlFor('thumbnails/a/one.jpg')).toBe(first);
    expect(store.presignStats()).toEqual({ signed: 1, cacheHits: 1 });
    clock.t += 2_000; // 301 s after signing
    const second = await store.urlFor('thumbnails/a/one.jpg');
    expect(second).not.toBe(first);
    expect(new URL(second).searchParams.get('X-Amz-Date')).toBe('20250601T120501Z');
    expect(store.presignStats()).toEqual({ signed: 2, cacheHits: 1 });
  });

  it('caches each key separately, and bounds the number of entries', async () => {
    const { store } = setup({ maxEntries: 2 });
    await store.urlFor('k/1.jpg');
    await store.urlFor('k/2.jpg');
    await store.urlFor('k/1.jpg'); // hit; 2 is now least recently used
    await store.urlFor('k/3.jpg'); // evicts 2
    await store.urlFor('k/1.jpg'); // hit
    await store.urlFor('k/2.jpg'); // signed again
    expect(store.presignStats()).toEqual({ signed: 4, cacheHits: 2 });
  });

  it('signs a key once when many requests want it at the same time', async () => {
    const { store } = setup();
    const urls = await Promise.all(Array.from({ length: 20 }, () => store.urlFor('k/popular.jpg')));
    expect(new Set(urls).size).toBe(1);
    expect(store.presignStats().signed).toBe(1);
  });

  it('signs every time when the cache is off', async () => {
    const { store } = setup({ cacheSeconds: 0 });
    await store.urlFor('k/1.jpg');
    await store.urlFor('k/1.jpg');
    expect(store.presignStats()).toEqual({ signed: 2, cacheHits: 0 });
  });

  it('resolves the endpoint once, not once per URL', async () => {
    const { client, store } = setup();
    const resolve = vi.spyOn(client.config, 'endpointProvider');
    for (let i = 0; i < 50; i++) await store.urlFor(`k/${i}.jpg`);
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(store.presignStats().signed).toBe(50);
  });

  it('uses refreshed credentials, and keeps URLs signed with expiring ones only half their remaining life', async () => {
    let accessKeyId = 'ASIAFIRST';
    const expiration = new Date(Date.now() + 60_000); // within the SDK's refresh window: asked every time
    const provider = vi.fn(async () => ({
      accessKeyId,
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration,
    }));
    const { clock, store } = setup({ credentials: provider });
    clock.t = Date.now();
    const first = await store.urlFor('k/1.jpg');
    expect(credentialOf(first)).toBe('ASIAFIRST');
    expect(new URL(first).searchParams.get('X-Amz-Security-Token')).toBe('token');

    accessKeyId = 'ASIASECOND';
    expect(credentialOf(await store.urlFor('k/2.jpg'))).toBe('ASIASECOND');
    clock.t += 29_000; // 60 s of credential life left at signing: cached for at most 30 s
    expect(await store.urlFor('k/1.jpg')).toBe(first);
    clock.t += 2_000;
    expect(credentialOf(await store.urlFor('k/1.jpg'))).toBe('ASIASECOND');
    expect(provider.mock.calls.length).toBeGreaterThan(1);
  });
});
