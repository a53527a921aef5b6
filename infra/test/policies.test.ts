import { describe, expect, it } from 'vitest';
import { annotatorPolicy, thumbnailerPolicy, webPolicy } from '../src/policies.ts';
import { bucketPolicy, eventBridgeDlqPolicy } from '../src/resource-policies.ts';
import { allows, scopedActions } from './support/iam.ts';

const ORIGINALS = 'arn:aws:s3:::originals-bucket';
const THUMBNAILS = 'arn:aws:s3:::thumbnails-bucket';
const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1';
const GEMINI_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gemini-AbCdEf';
const OTHER_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:someone-else';
const LOGS = 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn';
const QUEUE = 'arn:aws:sqs:eu-west-1:123456789012:failures';
const REPO = 'arn:aws:ecr:eu-west-1:123456789012:repository/web';
const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
const COOKIE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cookie-AbCdEf';
const ADMIN_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin-AbCdEf';

const base = {
  originalsBucketArn: ORIGINALS,
  databaseSecretArn: DB_SECRET,
  logGroupArn: LOGS,
  failureQueueArn: QUEUE,
};
const annotator = annotatorPolicy({ ...base, geminiSecretArn: GEMINI_SECRET });
const thumbnailer = thumbnailerPolicy({ ...base, thumbnailsBucketArn: THUMBNAILS });
const web = webPolicy({
  originalsBucketArn: ORIGINALS,
  thumbnailsBucketArn: THUMBNAILS,
  databaseSecretArn: DB_SECRET,
  logGroupArn: LOGS,
  repositoryArn: REPO,
  eventBusArn: BUS,
  cookieSecretArn: COOKIE_SECRET,
  adminTokenSecretArn: ADMIN_SECRET,
});

const upload = `${ORIGINALS}/uploads/0abc/cat.jpg`;
const thumbnail = `${THUMBNAILS}/thumbnails/0abc/cat.jpg`;

describe.each([
  // who, action, resource, allowed
  ['annotator', annotator, 's3:GetObject', upload, true],
  ['annotator', annotator, 's3:GetObject', `${ORIGINALS}/elsewhere/x`, false],
  ['annotator', annotator, 's3:PutObject', upload, false],
  ['annotator', annotator, 's3:GetObject', thumbnail, false],
  ['annotator', annotator, 's3:PutObject', thumbnail, false],
  ['annotator', annotator, 's3:DeleteObject', upload, false],
  ['annotator', annotator, 'secretsmanager:GetSecretValue', GEMINI_SECRET, true],
  ['annotator', annotator, 'secretsmanager:GetSecretValue', DB_SECRET, true],
  ['annotator', annotator, 'secretsmanager:GetSecretValue', OTHER_SECRET, false],
  ['thumbnailer', thumbnailer, 's3:GetObject', upload, true],
  ['thumbnailer', thumbnailer, 's3:PutObject', thumbnail, true],
  ['thumbnailer', thumbnailer, 's3:PutObject', upload, false],
  ['thumbnailer', thumbnailer, 's3:PutObject', `${THUMBNAILS}/other/x.jpg`, false],
  ['thumbnailer', thumbnailer, 's3:GetObject', thumbnail, false],
  ['thumbnailer', thumbnailer, 's3:DeleteObject', thumbnail, true],
  ['thumbnailer', thumbnailer, 's3:DeleteObject', upload, false],
  ['thumbnailer', thumbnailer, 's3:DeleteObjectVersion', thumbnail, true],
  ['thumbnailer', thumbnailer, 's3:DeleteObjectVersion', upload, false],
  ['thumbnailer', thumbnailer, 's3:ListBucketVersions', THUMBNAILS, true],
  ['thumbnailer', thumbnailer, 's3:ListBucketVersions', ORIGINALS, false],
  ['thumbnailer', thumbnailer, 'secretsmanager:GetSecretValue', GEMINI_SECRET, false],
  ['thumbnailer', thumbnailer, 'secretsmanager:GetSecretValue', DB_SECRET, true],
  ['web', web, 's3:PutObject', upload, true],
  ['web', web, 's3:PutObject', `${ORIGINALS}/not-uploads/x.jpg`, false],
  ['web', web, 's3:PutObject', thumbnail, false],
  ['web', web, 's3:GetObject', upload, true],
  ['web', web, 's3:GetObject', thumbnail, true],
  ['web', web, 's3:DeleteObject', upload, true],
  ['web', web, 's3:DeleteObject', thumbnail, true],
  ['web', web, 's3:DeleteObject', `${THUMBNAILS}/other/x.jpg`, false],
  ['web', web, 's3:DeleteObjectVersion', upload, true],
  ['web', web, 's3:DeleteObjectVersion', thumbnail, true],
  ['web', web, 's3:DeleteObjectVersion', `${ORIGINALS}/not-uploads/x.jpg`, false],
  ['web', web, 's3:ListBucketVersions', ORIGINALS, true],
  ['web', web, 's3:ListBucketVersions', THUMBNAILS, true],
  ['annotator', annotator, 's3:DeleteObjectVersion', upload, false],
  ['annotator', annotator, 's3:ListBucketVersions', ORIGINALS, false],
  ['web', web, 's3:ListBucket', ORIGINALS, true],
  ['web', web, 's3:ListBucketMultipartUploads', ORIGINALS, true],
  ['web', web, 's3:ListBucketMultipartUploads', THUMBNAILS, false],
  ['web', web, 's3:AbortMultipartUpload', upload, true],
  ['web', web, 'secretsmanager:GetSecretValue', DB_SECRET, true],
  ['web', web, 'secretsmanager:GetSecretValue', GEMINI_SECRET, false],
  ['web', web, 'ecr:BatchGetImage', REPO, true],
  ['web', web, 'ecr:BatchGetImage', 'arn:aws:ecr:eu-west-1:123456789012:repository/annotator', false],
  ['web', web, 'ecr:PutImage', REPO, false],
  ['web', web, 'secretsmanager:GetSecretValue', COOKIE_SECRET, true],
  ['web', web, 'secretsmanager:GetSecretValue', ADMIN_SECRET, true],
  ['web', web, 's3:ListBucketVersions', ORIGINALS, true],
  ['web', web, 's3:ListBucketVersions', THUMBNAILS, true],
  ['web', web, 's3:DeleteObjectVersion', upload, true],
  ['web', web, 's3:DeleteObjectVersion', thumbnail, true],
  ['web', web, 's3:DeleteObjectVersion', `${ORIGINALS}/elsewhere/x`, false],
  ['web', web, 'events:PutEvents', BUS, true],
  ['web', web, 'events:PutEvents', 'arn:aws:events:eu-west-1:123456789012:event-bus/other', false],
  ['web', web, 'events:PutRule', BUS, false],
  ['annotator', annotator, 'events:PutEvents', BUS, false],
  ['thumbnailer', thumbnailer, 'secretsmanager:GetSecretValue', ADMIN_SECRET, false],
  ['annotator', annotator, 'secretsmanager:GetSecretValue', COOKIE_SECRET, false],
])('%s: %s on %s', (_who, policy, action, resource, allowed) => {
  it(allowed ? 'is allowed' : 'is denied', () => {
    expect(allows(policy, action, resource)).toBe(allowed);
  });
});

describe('least privilege', () => {
  it.each([
    ['annotator', annotator],
    ['thumbnailer', thumbnailer],
    ['web', web],
  ])('the %s policy has no wildcard action and no write outside its prefix', (_who, policy) => {
    for (const statement of policy.Statement)
      for (const action of statement.Action) expect(action).not.toMatch(/\*/);
    expect(
      scopedActions(policy).filter(
        (a) =>
          a.startsWith('s3:') &&
          ![
            's3:GetObject',
            's3:PutObject',
            's3:ListBucket',
            's3:ListBucketMultipartUploads',
            's3:AbortMultipartUpload',
            's3:DeleteObject',
            's3:DeleteObjectVersion',
            's3:ListBucketVersions',
          ].includes(a),
      ),
    ).toEqual([]);
  });

  it('listing versions (for deleting every version of a key) is limited to the key prefixes', () => {
    const listings = [thumbnailer, web].flatMap((p) =>
      p.Statement.filter((s) => s.Action.includes('s3:ListBucketVersions')),
    );
    expect(listings.map((s) => s.Condition)).toEqual([
      { StringLike: { 's3:prefix': ['thumbnails/*'] } },
      { StringLike: { 's3:prefix': ['uploads/*'] } },
      { StringLike: { 's3:prefix': ['thumbnails/*'] } },
    ]);
  });

  it('the web tier sends only its own source to the bus', () => {
    const bySid = (sid: string) => web.Statement.find((s) => s.Sid === sid);
    expect(bySid('SendRetryEvents')).toEqual({
      Sid: 'SendRetryEvents',
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: [BUS],
      Condition: { StringEquals: { 'events:source': 'annot.web' } },
    });
  });

  it('only ENI management and the ECR login token are granted on "*", because they take no resource ARN', () => {
    const unscoped = [annotator, thumbnailer, web].flatMap((p) =>
      p.Statement.filter((s) => s.Resource?.includes('*')).map((s) => s.Sid),
    );
    expect(new Set(unscoped)).toEqual(new Set(['VpcNetworkInterfaces', 'EcrLogin']));
  });
});

describe('resource policies', () => {
  it('a bucket policy denies every non-TLS request', () => {
    const policy = bucketPolicy(ORIGINALS);
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('with a distribution, the bucket grants read of thumbnails/ to that distribution only', () => {
    const distribution = 'arn:aws:cloudfront::123456789012:distribution/E1';
    const grant = bucketPolicy(THUMBNAILS, distribution).Statement[1];
    expect(grant).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: ['s3:GetObject'],
      Resource: [`${THUMBNAILS}/thumbnails/*`],
      Condition: { StringEquals: { 'AWS:SourceArn': distribution } },
    });
  });

  it('a DLQ accepts messages from EventBridge for the named rules only', () => {
    const rule = 'arn:aws:events:eu-west-1:123456789012:rule/r';
    const retries = 'arn:aws:events:eu-west-1:123456789012:rule/retries';
    expect(eventBridgeDlqPolicy(QUEUE, [rule]).Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': rule } },
      }),
    ]);
    expect(eventBridgeDlqPolicy(QUEUE, [rule, retries]).Statement).toEqual([
      expect.objectContaining({ Condition: { ArnEquals: { 'aws:SourceArn': [rule, retries] } } }),
    ]);
  });
});
