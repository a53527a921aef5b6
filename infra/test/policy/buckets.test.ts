import type { PolicyResource } from '@pulumi/policy';
import { describe, expect, it } from 'vitest';
import { bucketsBlockPublicAccess, bucketsEncrypted, bucketsTlsOnly } from '../../policy/rules/buckets.ts';
import { resource, validateStack } from '../support/policy.ts';

const BUCKET = 'aws:s3/bucket:Bucket';
const tlsOnly = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ],
});

/** A bucket plus its settings, linked by property dependency as in a first preview (IDs unknown). */
function bucketWith(settings: {
  block?: Record<string, boolean>;
  sse?: string;
  policy?: string;
  acl?: string;
}): PolicyResource[] {
  const bucket = resource(BUCKET, 'photos', {
    bucket: 'photos-123',
    ...(settings.acl ? { acl: settings.acl } : {}),
  });
  const dep = { bucket: [bucket] };
  const out = [bucket];
  if (settings.block)
    out.push(
      resource('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'photos', settings.block, dep),
    );
  if (settings.sse) {
    out.push(
      resource(
        'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
        'photos',
        { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: settings.sse } }] },
        dep,
      ),
    );
  }
  if (settings.policy)
    out.push(resource('aws:s3/bucketPolicy:BucketPolicy', 'photos', { policy: settings.policy }, dep));
  return out;
}

const ALL_BLOCKED = {
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
};

describe('s3-buckets-block-public-access', () => {
  it('passes a bucket with all four settings on', () => {
    expect(validateStack(bucketsBlockPublicAccess, bucketWith({ block: ALL_BLOCKED }))).toEqual([]);
  });

  it('also links the block by bucket name when IDs are known', () => {
    const bucket = resource(BUCKET, 'photos', { bucket: 'photos-123' });
    const block = resource('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'b', {
      bucket: 'photos-123',
      ...ALL_BLOCKED,
    });
    expect(validateStack(bucketsBlockPublicAccess, [bucket, block])).toEqual([]);
  });

  it.each([
    ['no public access block', {}],
    ['one setting off', { block: { ...ALL_BLOCKED, restrictPublicBuckets: false } }],
    ['a public ACL', { block: ALL_BLOCKED, acl: 'public-read' }],
  ])('flags a bucket with %s', (_what, settings) => {
    expect(validateStack(bucketsBlockPublicAccess, bucketWith(settings))).toEqual([
      expect.stringContaining('photos:'),
    ]);
  });

  it("does not count another bucket's block", () => {
    const other = resource(BUCKET, 'other', { bucket: 'other-1' });
    const resources = [
      ...bucketWith({}),
      other,
      resource('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'o', ALL_BLOCKED, {
        bucket: [other],
      }),
    ];
    expect(validateStack(bucketsBlockPublicAccess, resources)).toEqual([expect.stringContaining('photos:')]);
  });
});

describe('s3-buckets-encrypted', () => {
  it.each(['AES256', 'aws:kms'])('passes default encryption with %s', (sse) => {
    expect(validateStack(bucketsEncrypted, bucketWith({ sse }))).toEqual([]);
  });

  it('flags a bucket without default encryption', () => {
    expect(validateStack(bucketsEncrypted, bucketWith({}))).toEqual([
      expect.stringContaining('needs default server-side encryption'),
    ]);
  });
});

describe('s3-buckets-tls-only', () => {
  it('passes a policy that denies insecure transport', () => {
    expect(validateStack(bucketsTlsOnly, bucketWith({ policy: tlsOnly }))).toEqual([]);
  });

  it.each([
    ['no bucket policy', {}],
    [
      'a policy that only allows',
      {
        policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }] }),
      },
    ],
    [
      'a deny on the wrong condition',
      {
        policy: JSON.stringify({
          Statement: [
            { Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
          ],
        }),
      },
    ],
  ])('flags a bucket with %s', (_what, settings) => {
    expect(validateStack(bucketsTlsOnly, bucketWith(settings))).toEqual([
      expect.stringContaining('aws:SecureTransport'),
    ]);
  });
});
