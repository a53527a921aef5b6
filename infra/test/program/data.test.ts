import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedResource } from '../support/mocks.ts';
import { type ProgramRun, runProgram } from '../support/program.ts';
import { ofType, one, T } from '../support/resources.ts';

let dev: ProgramRun;
let production: ProgramRun;
beforeAll(async () => {
  dev = await runProgram();
  production = await runProgram({ stack: 'prod', config: { production: 'true' } });
});

describe('the database', () => {
  it('is MySQL 8.4 on db.t3.micro with 20 GiB of encrypted gp3, never public', () => {
    expect(one(dev.resources, T.rds).inputs).toMatchObject({
      engine: 'mysql',
      engineVersion: '8.4',
      instanceClass: 'db.t3.micro',
      allocatedStorage: 20,
      storageType: 'gp3',
      storageEncrypted: true,
      publiclyAccessible: false,
    });
  });

  it('has its master password generated and kept by RDS in Secrets Manager, never given by the program', () => {
    const { inputs } = one(dev.resources, T.rds);
    expect(inputs.manageMasterUserPassword).toBe(true);
    expect(inputs.password).toBeUndefined();
  });

  it('lives in a subnet group of the private subnets, behind the database security group', () => {
    const rds = one(dev.resources, T.rds);
    const subnets = one(dev.resources, T.dbSubnetGroup);
    expect(subnets.inputs.subnetIds).toEqual(['subnet-private-1', 'subnet-private-2']);
    expect(rds.inputs.dbSubnetGroupName).toBe(subnets.state.name);
    expect(rds.inputs.vpcSecurityGroupIds).toEqual([one(dev.resources, T.securityGroup, '-db').id]);
  });

  it('keeps automated backups', () => {
    expect(one(dev.resources, T.rds).inputs.backupRetentionPeriod).toBe(7);
  });

  it('outside production, can be deleted without a snapshot', () => {
    expect(one(dev.resources, T.rds).inputs).toMatchObject({
      deletionProtection: false,
      skipFinalSnapshot: true,
    });
    expect(one(dev.resources, T.rds).inputs.finalSnapshotIdentifier).toBeUndefined();
  });

  it('in production, is protected from deletion and leaves a final snapshot', () => {
    expect(one(production.resources, T.rds).inputs).toMatchObject({
      deletionProtection: true,
      skipFinalSnapshot: false,
      // The suffix is drawn once per instance (see hardening.test.ts), so two destroys never collide.
      finalSnapshotIdentifier: 'image-annotation-platform-prod-mysql-final-0a1b2c3d',
    });
  });

  it('exports its logs into log groups that have a retention', () => {
    const identifier = one(dev.resources, T.rds).inputs.identifier;
    const groups = ofType(dev.resources, T.logGroup).filter((g) =>
      g.inputs.name.startsWith(`/aws/rds/instance/${identifier}/`),
    );
    expect(groups.map((g) => g.inputs.name.split('/').pop()).sort()).toEqual(
      one(dev.resources, T.rds).inputs.enabledCloudwatchLogsExports.sort(),
    );
    for (const group of groups) expect(group.inputs.retentionInDays).toBe(30);
  });
});

describe('the buckets', () => {
  const buckets = () => ofType(dev.resources, T.bucket);
  const settingOf = (type: string, bucket: RecordedResource, run = dev) =>
    one(
      run.resources.filter((r) => r.inputs.bucket === bucket.id),
      type,
    );

  it('are two: originals and thumbnails', () => {
    expect(
      buckets()
        .map((b) => b.name)
        .sort(),
    ).toEqual(['storage-originals', 'storage-thumbnails']);
  });

  it('no bucket is public: all four public access settings are on', () => {
    for (const bucket of buckets()) {
      expect(settingOf(T.publicAccessBlock, bucket).inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(bucket.inputs.acl).toBeUndefined();
    }
  });

  it('are versioned and encrypted by default', () => {
    for (const bucket of buckets()) {
      expect(settingOf(T.versioning, bucket).inputs.versioningConfiguration).toEqual({ status: 'Enabled' });
      expect(settingOf(T.encryption, bucket).inputs.rules[0].applyServerSideEncryptionByDefault).toEqual({
        sseAlgorithm: 'AES256',
      });
    }
  });

  it('deny any request that does not use TLS, and allow nobody else', () => {
    for (const bucket of buckets()) {
      const policy = JSON.parse(settingOf(T.bucketPolicy, bucket).inputs.policy);
      expect(policy.Statement).toEqual([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: ['s3:*'],
          Resource: [bucket.state.arn, `${bucket.state.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]);
    }
  });

  it('expire old versions and abandoned multipart uploads', () => {
    for (const bucket of buckets()) {
      const rules = settingOf(T.lifecycle, bucket).inputs.rules;
      expect(rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ status: 'Enabled', noncurrentVersionExpiration: { noncurrentDays: 30 } }),
          expect.objectContaining({
            status: 'Enabled',
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          }),
        ]),
      );
    }
  });

  it('only the originals bucket sends its events to EventBridge', () => {
    const notifications = ofType(dev.resources, T.notification);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.inputs).toEqual({
      bucket: one(dev.resources, T.bucket, '-originals').id,
      eventbridge: true,
    });
  });

  it('can be destroyed with their objects outside production only', () => {
    for (const bucket of buckets()) expect(bucket.inputs.forceDestroy).toBe(true);
    for (const bucket of ofType(production.resources, T.bucket))
      expect(bucket.inputs.forceDestroy).toBe(false);
  });
});
