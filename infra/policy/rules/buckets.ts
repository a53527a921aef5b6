/** S3: every bucket blocks public access on all four settings, is encrypted, and is TLS only. */
import type { PolicyResource, StackValidationPolicy } from '@pulumi/policy';
import { asList, ofType, parsePolicy, refersTo } from './links.ts';

export const BUCKET_TYPES = ['aws:s3/bucket:Bucket', 'aws:s3/bucketV2:BucketV2'];
const PUBLIC_ACCESS_BLOCK = 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock';
const ENCRYPTION = [
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  'aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2',
];
const BUCKET_POLICY = 'aws:s3/bucketPolicy:BucketPolicy';
const PUBLIC_ACLS = ['public-read', 'public-read-write', 'authenticated-read'];

function each(
  resources: readonly PolicyResource[],
  check: (bucket: PolicyResource, resources: readonly PolicyResource[]) => string | undefined,
  report: (message: string, urn?: string) => void,
): void {
  for (const bucket of ofType(resources, ...BUCKET_TYPES)) {
    const problem = check(bucket, resources);
    if (problem) report(`${bucket.name}: ${problem}`, bucket.urn);
  }
}

export const bucketsBlockPublicAccess: StackValidationPolicy = {
  name: 's3-buckets-block-public-access',
  description: 'Every bucket has a public access block with all four settings on, and no public ACL.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) =>
    each(
      args.resources,
      (bucket, resources) => {
        if (PUBLIC_ACLS.includes(bucket.props.acl)) return `has the public ACL "${bucket.props.acl}"`;
        const blocks = ofType(resources, PUBLIC_ACCESS_BLOCK).filter((b) => refersTo(b, 'bucket', bucket));
        const complete = blocks.some(
          (b) =>
            b.props.blockPublicAcls &&
            b.props.blockPublicPolicy &&
            b.props.ignorePublicAcls &&
            b.props.restrictPublicBuckets,
        );
        return complete ? undefined : 'needs a public access block with all four settings true';
      },
      report,
    ),
};

export const bucketsEncrypted: StackValidationPolicy = {
  name: 's3-buckets-encrypted',
  description: 'Every bucket has a default server-side encryption configuration.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) =>
    each(
      args.resources,
      (bucket, resources) => {
        const configs = ofType(resources, ...ENCRYPTION).filter((c) => refersTo(c, 'bucket', bucket));
        const encrypted = configs.some((c) =>
          asList<{ applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }>(c.props.rules).some(
            (rule) =>
              ['AES256', 'aws:kms', 'aws:kms:dsse'].includes(
                rule.applyServerSideEncryptionByDefault?.sseAlgorithm ?? '',
              ),
          ),
        );
        return encrypted ? undefined : 'needs default server-side encryption (AES256 or aws:kms)';
      },
      report,
    ),
};

interface PolicyStatement {
  Effect?: string;
  Action?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** A Deny of all S3 actions when aws:SecureTransport is false. */
export function deniesInsecureTransport(policy: unknown): boolean {
  const statements = asList(
    parsePolicy(policy)?.Statement as PolicyStatement | PolicyStatement[] | undefined,
  );
  return statements.some((s) => {
    const actions = asList(s.Action);
    const secure = s.Condition?.Bool?.['aws:SecureTransport'];
    return (
      s.Effect === 'Deny' &&
      (actions.includes('s3:*') || actions.includes('*')) &&
      (secure === 'false' || secure === false)
    );
  });
}

export const bucketsTlsOnly: StackValidationPolicy = {
  name: 's3-buckets-tls-only',
  description: 'Every bucket policy denies requests that do not use TLS.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) =>
    each(
      args.resources,
      (bucket, resources) => {
        const policies = ofType(resources, BUCKET_POLICY).filter((p) => refersTo(p, 'bucket', bucket));
        return policies.some((p) => deniesInsecureTransport(p.props.policy))
          ? undefined
          : 'needs a bucket policy that denies s3:* when aws:SecureTransport is false';
      },
      report,
    ),
};
