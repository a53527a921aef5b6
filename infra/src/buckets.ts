/**
 * The originals and thumbnails buckets: versioned, closed to the public on all four settings,
 * encrypted by default, TLS only, with lifecycle rules for old versions and abandoned multipart
 * uploads. The originals bucket sends its events to EventBridge.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { bucketPolicy } from './resource-policies.ts';

export interface BucketsArgs {
  readonly production: boolean;
  /** Days a replaced or deleted object version is kept. */
  readonly noncurrentVersionDays: number;
  /** Set when a CloudFront distribution reads thumbnails through origin access control. */
  readonly thumbnailsDistributionArn: pulumi.Input<string | undefined>;
}

export class Buckets extends pulumi.ComponentResource {
  readonly originals: aws.s3.Bucket;
  readonly thumbnails: aws.s3.Bucket;

  constructor(name: string, args: BucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Buckets', name, {}, opts);
    this.originals = this.#bucket(`${name}-originals`, args, undefined);
    this.thumbnails = this.#bucket(`${name}-thumbnails`, args, args.thumbnailsDistributionArn);

    // Every object created in originals becomes an EventBridge event; the rule picks uploads/.
    new aws.s3.BucketNotification(
      `${name}-originals-events`,
      { bucket: this.originals.id, eventbridge: true },
      { parent: this },
    );
    this.registerOutputs({ originals: this.originals.bucket, thumbnails: this.thumbnails.bucket });
  }

  #bucket(name: string, args: BucketsArgs, distributionArn: pulumi.Input<string | undefined>): aws.s3.Bucket {
    const opts = { parent: this };
    // Outside production a stack can be destroyed with its objects; in production S3 refuses, and
    // Pulumi itself refuses to delete or replace a protected bucket.
    const bucket = new aws.s3.Bucket(
      name,
      { forceDestroy: !args.production },
      { ...opts, protect: args.production },
    );

    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      name,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      opts,
    );
    new aws.s3.BucketOwnershipControls(
      name,
      { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      opts,
    );
    new aws.s3.BucketVersioning(
      name,
      { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } },
      opts,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
      },
      opts,
    );
    new aws.s3.BucketLifecycleConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [
          {
            id: 'expire-noncurrent-versions',
            status: 'Enabled',
            filter: { prefix: '' },
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays },
            // Once a deleted object's last version has expired, its delete marker is all that is
            // left: remove it too, or the bucket fills with markers that every listing must skip.
            expiration: { expiredObjectDeleteMarker: true },
          },
          {
            id: 'abort-incomplete-multipart-uploads',
            status: 'Enabled',
            filter: { prefix: '' },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      opts,
    );
    new aws.s3.BucketPolicy(
      name,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([bucket.arn, distributionArn])
          .apply(([arn, distribution]) => JSON.stringify(bucketPolicy(arn, distribution))),
      },
      // S3 rejects concurrent changes to one bucket's access settings.
      { ...opts, dependsOn: [publicAccess] },
    );
    return bucket;
  }
}
