import { startS3Server, type TestS3Server } from '@annot/testing';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../src/index.ts';
import { clientFor } from './helpers/s3-client.ts';
import { verifyPresignedUrl } from './helpers/sigv4-verify.ts';

const BUCKET = 'presign-test';
const KEYS = [
  'uploads/k1/a b.jpg',
  'uploads/k2/ünïcødé 写真.png',
  'uploads/k3/a+b=c&d.jpg',
  "uploads/k4/it's (1)*!.gif",
];
const PRESIGN = { expiresSeconds: 900, cacheSeconds: 300 };

describe('presigned URLs against s3rver', () => {
  let server: TestS3Server;
  let client: S3Client;

  beforeAll(async () => {
    server = await startS3Server([BUCKET]);
    client = clientFor(server, {
      // Off so the SDK's own presigned URLs (compared below) carry no checksum parameters.
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const store = new S3ObjectStore({ client, bucket: BUCKET, presign: PRESIGN });
    for (const key of KEYS) await store.put(key, Buffer.from(`bytes of ${key}`));
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('serves each object at its URL, for keys with spaces, unicode and reserved characters', async () => {
    const store = new S3ObjectStore({ client, bucket: BUCKET, presign: PRESIGN });
    for (const key of KEYS) {
      const url = await store.urlFor(key);
      expect(url.startsWith(`${server.endpoint}/${BUCKET}/uploads/`)).toBe(true);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).toString()).toBe(`bytes of ${key}`);
    }
    const first = await store.urlFor(KEYS[0]!);
    expect(new URL(first).pathname).toBe(`/${BUCKET}/uploads/k1/a%20b.jpg`);
    expect(new URL(await store.urlFor(KEYS[2]!)).pathname).toBe(`/${BUCKET}/uploads/k3/a%2Bb%3Dc%26d.jpg`);
  });

  it('produces exactly the URL the SDK presigner produces for the same request and time', async () => {
    const signingDate = new Date('2025-03-04T05:06:07Z');
    const store = new S3ObjectStore({
      client,
      bucket: BUCKET,
      presign: { ...PRESIGN, clock: { now: () => signingDate.getTime() } },
    });
    for (const key of KEYS) {
      const sdk = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn: PRESIGN.expiresSeconds,
        signingDate,
      });
      expect(await store.urlFor(key)).toBe(sdk);
    }
  });

  it('matches the SDK for a virtual-hosted AWS bucket too', async () => {
    const signingDate = new Date('2025-03-04T05:06:07Z');
    const aws = new S3Client({
      region: 'eu-west-1',
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const store = new S3ObjectStore({
      client: aws,
      bucket: 'annot-originals',
      presign: { ...PRESIGN, clock: { now: () => signingDate.getTime() } },
    });
    const key = KEYS[1]!;
    const url = await store.urlFor(key);
    expect(url.startsWith('https://annot-originals.s3.eu-west-1.amazonaws.com/uploads/k2/')).toBe(true);
    const sdk = await getSignedUrl(aws, new GetObjectCommand({ Bucket: 'annot-originals', Key: key }), {
      expiresIn: PRESIGN.expiresSeconds,
      signingDate,
    });
    expect(url).toBe(sdk);
    aws.destroy();
  });

  // s3rver checks a V4 URL's expiry but not its signature, so tampering is checked with an
  // independent verifier (which accepts the SDK's URLs, and ours).
  it('signs correctly: a tampered or expired URL fails verification', async () => {
    const now = new Date();
    const store = new S3ObjectStore({ client, bucket: BUCKET, presign: PRESIGN });
    const secret = server.credentials.secretAccessKey;
    for (const key of KEYS) {
      const url = await store.urlFor(key);
      expect(verifyPresignedUrl(url, secret, now)).toEqual({ valid: true });
      const sdk = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn: 60,
      });
      expect(verifyPresignedUrl(sdk, secret, now)).toEqual({ valid: true });
    }
    const url = await store.urlFor(KEYS[0]!);
    const tampered = [
      url.replace('a%20b.jpg', 'a%20c.jpg'),
      url.replace('X-Amz-Expires=900', 'X-Amz-Expires=9000'),
      url.replace(
        /X-Amz-Signature=([0-9a-f])/,
        (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
      ),
    ];
    for (const bad of tampered) expect(verifyPresignedUrl(bad, secret, now)).toMatchObject({ valid: false });
    expect(verifyPresignedUrl(url, 'wrong-secret', now)).toMatchObject({ valid: false, reason: 'signature' });
    expect(verifyPresignedUrl(url, secret, new Date(now.getTime() + 901_000))).toMatchObject({
      reason: 'expired',
    });
  });

  it('is refused by the server once expired', async () => {
    const twoHoursAgo = Date.now() - 2 * 3600_000;
    const store = new S3ObjectStore({
      client,
      bucket: BUCKET,
      presign: { expiresSeconds: 3600, cacheSeconds: 0, clock: { now: () => twoHoursAgo } },
    });
    const response = await fetch(await store.urlFor(KEYS[0]!));
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Request has expired');
  });
});
