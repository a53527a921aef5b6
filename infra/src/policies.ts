/**
 * IAM policy documents for the three workloads, one least-privilege role each, built from resolved
 * ARNs by pure functions so that tests can evaluate them without AWS.
 */
import { STAGE_REQUESTED_SOURCE } from '@annot/events';
import { THUMBNAILS_PREFIX, UPLOADS_PREFIX } from '@annot/object-keys';

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Readonly<Record<string, string | readonly string[]>> | '*';
  readonly Action: readonly string[];
  readonly Resource?: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Statement[];
}

export function policy(...statements: Statement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** Trust policy letting one AWS service assume the role. */
export function assumeRolePolicy(service: 'lambda.amazonaws.com' | 'ec2.amazonaws.com'): PolicyDocument {
  return policy({ Effect: 'Allow', Principal: { Service: service }, Action: ['sts:AssumeRole'] });
}

/**
 * Read access to originals. ListBucket (limited to the prefix) is there so a missing object reads
 * as 404 NoSuchKey, a permanent failure, rather than 403, which the workers would retry.
 */
function readOriginals(originalsBucketArn: string): Statement[] {
  return [
    {
      Sid: 'ReadOriginals',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [`${originalsBucketArn}/${UPLOADS_PREFIX}*`],
    },
    listOriginals(originalsBucketArn),
  ];
}

/** Without ListBucket, S3 answers a HEAD of a missing object with 403 instead of 404. */
function listOriginals(originalsBucketArn: string): Statement {
  return {
    Sid: 'ListOriginals',
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [originalsBucketArn],
    Condition: { StringLike: { 's3:prefix': [`${UPLOADS_PREFIX}*`] } },
  };
}

/**
 * The storage port's `delete` removes every version of a key (the buckets are versioned, and a
 * plain DeleteObject only hides the bytes behind a delete marker): it lists the key's versions,
 * which needs ListBucketVersions on the bucket (limited to the prefix, like ListBucket), and
 * deletes each by id, which needs DeleteObjectVersion besides DeleteObject.
 */
function listVersions(sid: string, bucketArn: string, prefix: string): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: ['s3:ListBucketVersions'],
    Resource: [bucketArn],
    Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } },
  };
}

function readSecrets(secretArns: readonly string[]): Statement {
  return {
    Sid: 'ReadSecrets',
    Effect: 'Allow',
    Action: ['secretsmanager:GetSecretValue'],
    Resource: [...secretArns],
  };
}

function writeLogs(logGroupArn: string): Statement {
  return {
    Sid: 'WriteLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [`${logGroupArn}:*`],
  };
}

export interface WorkerPolicyInputs {
  readonly originalsBucketArn: string;
  readonly databaseSecretArn: string;
  readonly logGroupArn: string;
  /** The SQS queue Lambda sends failed asynchronous invocations to. */
  readonly failureQueueArn: string;
}

/** What every worker Lambda in the VPC needs: its logs, its ENIs and its on-failure queue. */
function workerBase(inputs: WorkerPolicyInputs): Statement[] {
  return [
    writeLogs(inputs.logGroupArn),
    {
      // Lambda manages the function's ENIs in the private subnets; these actions take no resource ARN.
      Sid: 'VpcNetworkInterfaces',
      Effect: 'Allow',
      Action: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: ['*'],
    },
    {
      Sid: 'OnFailureDestination',
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: [inputs.failureQueueArn],
    },
  ];
}

/**
 * The annotator reads originals (never thumbnails), its database secret and, when it runs Gemini,
 * the Gemini key (the local annotator has no key to read).
 */
export function annotatorPolicy(
  inputs: WorkerPolicyInputs & { readonly geminiSecretArn: string | undefined },
): PolicyDocument {
  return policy(
    ...workerBase(inputs),
    ...readOriginals(inputs.originalsBucketArn),
    readSecrets(
      inputs.geminiSecretArn
        ? [inputs.databaseSecretArn, inputs.geminiSecretArn]
        : [inputs.databaseSecretArn],
    ),
  );
}

/**
 * The thumbnailer reads originals and writes thumbnails, nothing else. It may delete a thumbnail
 * (every version of it): the one it wrote for an upload the web tier withdrew meanwhile (it never
 * reads thumbnails).
 */
export function thumbnailerPolicy(
  inputs: WorkerPolicyInputs & { readonly thumbnailsBucketArn: string },
): PolicyDocument {
  return policy(
    ...workerBase(inputs),
    ...readOriginals(inputs.originalsBucketArn),
    {
      Sid: 'WriteThumbnails',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: [`${inputs.thumbnailsBucketArn}/${THUMBNAILS_PREFIX}*`],
    },
    listVersions('ListThumbnailVersions', inputs.thumbnailsBucketArn, THUMBNAILS_PREFIX),
    readSecrets([inputs.databaseSecretArn]),
  );
}

export interface WebPolicyInputs {
  readonly originalsBucketArn: string;
  readonly thumbnailsBucketArn: string;
  readonly databaseSecretArn: string;
  readonly logGroupArn: string;
  readonly repositoryArn: string;
  /** The account's default event bus, which the retry events go to. */
  readonly eventBusArn: string;
  /** The generated cookie-signing secret and admin token (Secrets Manager). */
  readonly cookieSecretArn: string;
  readonly adminTokenSecretArn: string;
  /** The shared cache's AUTH token (enableCache), when there is a cache. */
  readonly cacheAuthTokenSecretArn?: string | undefined;
}

/**
 * The web tier uploads (and withdraws or deletes) under uploads/, reads (and presigns) both buckets,
 * deletes every version of an image's two keys, sends retry events to the default bus under its
 * own source only, and reads its secrets.
 */
export function webPolicy(inputs: WebPolicyInputs): PolicyDocument {
  return policy(
    {
      Sid: 'PutUploads',
      Effect: 'Allow',
      // Large files go up as multipart uploads; aborting one on a refused file needs its own action.
      // DeleteObject withdraws an original whose request failed after the object was stored (the
      // row is deleted too), so a refused or aborted upload never leaves an orphan behind.
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: [`${inputs.originalsBucketArn}/${UPLOADS_PREFIX}*`],
    },
    {
      Sid: 'WithdrawThumbnails',
      Effect: 'Allow',
      // A withdrawn upload's thumbnail goes with its row and original: a worker may have written one.
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: [`${inputs.thumbnailsBucketArn}/${THUMBNAILS_PREFIX}*`],
    },
    // DELETE /api/images/:id, upload cleanup and the sweep remove every version of a key (the
    // buckets are versioned: a plain DELETE leaves the bytes in a noncurrent version; see listVersions).
    listVersions('ListUploadVersions', inputs.originalsBucketArn, UPLOADS_PREFIX),
    listVersions('ListThumbnailVersions', inputs.thumbnailsBucketArn, THUMBNAILS_PREFIX),
    {
      Sid: 'ReadImages',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [
        `${inputs.originalsBucketArn}/${UPLOADS_PREFIX}*`,
        `${inputs.thumbnailsBucketArn}/${THUMBNAILS_PREFIX}*`,
      ],
    },
    // The reconciliation sweep: HEAD of a missing original must answer 404, not 403 (S3 hides
    // absence from callers without ListBucket), and it aborts multipart uploads a crashed instance
    // left unfinished, which it first has to list. Re-raising an upload's event copies the object
    // onto itself: GetObject and PutObject above.
    listOriginals(inputs.originalsBucketArn),
    {
      Sid: 'ListUnfinishedUploads',
      Effect: 'Allow',
      Action: ['s3:ListBucketMultipartUploads'],
      Resource: [inputs.originalsBucketArn],
    },
    // A retry is a custom event on the default bus, which a rule per worker routes to that worker.
    // Only that bus, and only events whose source is the web tier's own.
    {
      Sid: 'SendRetryEvents',
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: [inputs.eventBusArn],
      Condition: { StringEquals: { 'events:source': STAGE_REQUESTED_SOURCE } },
    },
    readSecrets([
      inputs.databaseSecretArn,
      inputs.cookieSecretArn,
      inputs.adminTokenSecretArn,
      ...(inputs.cacheAuthTokenSecretArn ? [inputs.cacheAuthTokenSecretArn] : []),
    ]),
    writeLogs(inputs.logGroupArn),
    // GetAuthorizationToken has no resource ARN; the pulls themselves are limited to the web repository.
    { Sid: 'EcrLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
    {
      Sid: 'PullWebImage',
      Effect: 'Allow',
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      Resource: [inputs.repositoryArn],
    },
  );
}

/**
 * The migration function: its logs, its network interfaces and the database secret, nothing else
 * (no bucket, no queue). The DDL rights are the database user's, not IAM's.
 */
export function migrationPolicy(inputs: {
  readonly databaseSecretArn: string;
  readonly logGroupArn: string;
}): PolicyDocument {
  const [logs, network] = workerBase({ ...inputs, originalsBucketArn: '', failureQueueArn: '' });
  return policy(logs!, network!, readSecrets([inputs.databaseSecretArn]));
}
