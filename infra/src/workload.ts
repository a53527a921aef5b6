/**
 * What the web tier and the worker Lambdas both draw on, the buckets, the database and their own
 * log group, resolved once here for the role policy and the environment each of them builds.
 */
import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { SharedEnvInputs } from './app-env.ts';
import { type DatabaseRef, databaseFields } from './database.ts';

export interface WorkloadRefs {
  readonly originals: aws.s3.Bucket;
  readonly thumbnails: aws.s3.Bucket;
  readonly database: DatabaseRef;
  readonly appEnv: Readonly<Record<string, string>>;
}

/** The ARNs every workload's role policy names. */
export interface SharedPolicyArns {
  readonly originalsBucketArn: string;
  readonly thumbnailsBucketArn: string;
  readonly databaseSecretArn: string;
  readonly logGroupArn: string;
}

export function sharedPolicyArns(
  refs: WorkloadRefs,
  logGroup: aws.cloudwatch.LogGroup,
): pulumi.Output<SharedPolicyArns> {
  return pulumi.output({
    originalsBucketArn: refs.originals.arn,
    thumbnailsBucketArn: refs.thumbnails.arn,
    databaseSecretArn: refs.database.secretArn,
    logGroupArn: logGroup.arn,
  });
}

/** The environment inputs both tiers share (app-env.ts), resolved. */
export function sharedEnvInputs(refs: WorkloadRefs): pulumi.Output<SharedEnvInputs> {
  return pulumi
    .all([refs.originals.bucket, refs.thumbnails.bucket, databaseFields(refs.database)])
    .apply(([originalsBucket, thumbnailsBucket, db]) => ({
      originalsBucket,
      thumbnailsBucket,
      databaseSecretArn: db.secretArn,
      databaseHost: db.address,
      databasePort: db.port,
      databaseName: db.name,
      appEnv: refs.appEnv,
    }));
}
