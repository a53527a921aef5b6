import { loadConfig } from '@annot/config';
import { STAGE_REQUESTED_SOURCE } from '@annot/events';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV_FILE } from '../../src/user-data.ts';
import { allows } from '../support/iam.ts';
import { ACCOUNT, REGION } from '../support/mocks.ts';
import { type ProgramRun, runProgram } from '../support/program.ts';
import { containerEnv, decodeUserData, inlinePolicyOf, ofType, one, T } from '../support/resources.ts';

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

const launchTemplate = () => one(run.resources, T.launchTemplate);

describe('load balancer', () => {
  it('is an internet-facing ALB in the public subnets behind the ALB security group', () => {
    const alb = one(run.resources, T.alb);
    expect(alb.inputs).toMatchObject({
      loadBalancerType: 'application',
      internal: false,
      subnets: ['subnet-public-1', 'subnet-public-2'],
      securityGroups: [one(run.resources, T.securityGroup, '-alb').id],
    });
  });

  it('checks /health on port 5000 with thresholds of 2, giving the app longer than it waits for its dependencies', () => {
    const tg = one(run.resources, T.targetGroup);
    expect(tg.inputs).toMatchObject({
      port: 5000,
      protocol: 'HTTP',
      targetType: 'instance',
      vpcId: 'vpc-0mock',
    });
    expect(tg.inputs.healthCheck).toMatchObject({
      path: '/health',
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      matcher: '200',
    });
    // /health answers within HEALTH_CHECK_TIMEOUT_MS even when the database or S3 hangs.
    expect(tg.inputs.healthCheck.timeout * 1000).toBeGreaterThan(
      loadConfig({}).server.healthCheckTimeoutMs + 1000,
    );
  });
});

describe('launch template', () => {
  it('takes the AMI from the Amazon Linux 2023 SSM public parameter, never an AMI id', () => {
    const { imageId } = launchTemplate().inputs;
    expect(imageId).toBe('resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
    expect(imageId).not.toMatch(/ami-[0-9a-f]{8,}/);
  });

  it('requires IMDSv2, with a hop limit that lets the container reach it', () => {
    expect(launchTemplate().inputs.metadataOptions).toEqual({
      httpEndpoint: 'enabled',
      httpTokens: 'required',
      httpPutResponseHopLimit: 2,
    });
  });

  it('is a t3.micro with an encrypted root volume and the web instance profile', () => {
    const inputs = launchTemplate().inputs;
    expect(inputs.instanceType).toBe('t3.micro');
    expect(inputs.blockDeviceMappings[0].ebs).toMatchObject({ encrypted: 'true', volumeType: 'gp3' });
    expect(inputs.iamInstanceProfile.arn).toBe(one(run.resources, T.instanceProfile).state.arn);
    expect(inputs.vpcSecurityGroupIds).toEqual([one(run.resources, T.securityGroup, '-web').id]);
  });
});

describe('user data', () => {
  it('installs Docker, logs in to ECR, pulls the web image and runs it on 5000 with --restart always', () => {
    const script = decodeUserData(launchTemplate());
    const webImage = one(run.resources, T.image, '-web').state.imageUri as string;
    expect(webImage).toMatch(/dkr\.ecr\.eu-west-1\.amazonaws\.com\/.*-web@sha256:/);
    expect(script).toContain('dnf install -y docker');
    expect(script).toContain('systemctl enable --now docker');
    expect(script).toContain(`--password-stdin "${webImage.split('/')[0]}"`);
    expect(script).toContain(`docker pull "${webImage}"`);
    expect(script).toMatch(
      new RegExp(`docker run -d --name web --restart always -p 5000:5000 --env-file ${ENV_FILE}`),
    );
  });

  it('gives the container settings the platform config accepts: MySQL via the RDS secret, S3, port 5000', () => {
    const env = containerEnv(launchTemplate());
    const config = loadConfig(env);
    expect(config.server).toMatchObject({ port: 5000, host: '0.0.0.0', trustProxy: true });
    expect(config.storage).toMatchObject({
      kind: 's3',
      originalsBucket: one(run.resources, T.bucket, '-originals').state.bucket,
      thumbnailsBucket: one(run.resources, T.bucket, '-thumbnails').state.bucket,
      region: 'eu-west-1',
    });
    const rds = one(run.resources, T.rds).state as {
      address: string;
      masterUserSecrets: { secretArn: string }[];
    };
    expect(config.database).toMatchObject({
      kind: 'mysql',
      url: undefined,
      secretArn: rds.masterUserSecrets[0]!.secretArn,
      host: rds.address,
      port: 3306,
      database: 'images',
    });
  });
});

describe('auto scaling', () => {
  it('keeps 1 to 2 instances in the private subnets, ELB-checked after a 300 s grace period', () => {
    const asg = one(run.resources, T.asg);
    expect(asg.inputs).toMatchObject({
      minSize: 1,
      maxSize: 2,
      desiredCapacity: 1,
      healthCheckType: 'ELB',
      healthCheckGracePeriod: 300,
      vpcZoneIdentifiers: ['subnet-private-1', 'subnet-private-2'],
      targetGroupArns: [one(run.resources, T.targetGroup).state.arn],
    });
    expect(asg.inputs.launchTemplate).toEqual({ id: launchTemplate().id, version: '1' });
  });

  it('tracks 20% average CPU', () => {
    expect(one(run.resources, T.scalingPolicy).inputs).toMatchObject({
      policyType: 'TargetTrackingScaling',
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
        targetValue: 20,
      },
    });
  });

  it('takes sizes, grace period, CPU target and instance type from config', async () => {
    const custom = await runProgram({
      config: {
        webInstanceType: 't3.small',
        asgMinSize: '2',
        asgMaxSize: '4',
        asgDesiredCapacity: '3',
        asgHealthCheckGraceSeconds: '120',
        asgCpuTargetPercent: '55',
        // Twice the instances need a larger database for the connection budget.
        dbInstanceClass: 'db.t3.small',
      },
    });
    expect(one(custom.resources, T.asg).inputs).toMatchObject({
      minSize: 2,
      maxSize: 4,
      desiredCapacity: 3,
      healthCheckGracePeriod: 120,
    });
    expect(one(custom.resources, T.scalingPolicy).inputs.targetTrackingConfiguration.targetValue).toBe(55);
    expect(one(custom.resources, T.launchTemplate).inputs.instanceType).toBe('t3.small');
  });

  it('has exactly one launch template and group', () => {
    expect(ofType(run.resources, T.launchTemplate)).toHaveLength(1);
    expect(ofType(run.resources, T.asg)).toHaveLength(1);
  });
});

describe('the web role: retries, deletes and secrets (issue 11)', () => {
  const webPolicy = () => {
    const profile = one(run.resources, T.instanceProfile);
    const role = one(run.resources, T.role, 'web-role');
    expect(profile.inputs.role).toBe(role.state.name);
    return inlinePolicyOf(run.resources, role);
  };
  const bus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;

  it("may put events on the default bus only, and only under the web tier's own source", () => {
    const policy = webPolicy();
    expect(allows(policy, 'events:PutEvents', bus)).toBe(true);
    expect(allows(policy, 'events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/other`)).toBe(
      false,
    );
    const grants = policy.Statement.filter((s: { Action: string[] }) =>
      s.Action.some((a) => a.startsWith('events:')),
    );
    expect(grants).toEqual([
      {
        Sid: 'SendRetryEvents',
        Effect: 'Allow',
        Action: ['events:PutEvents'],
        Resource: [bus],
        Condition: { StringEquals: { 'events:source': STAGE_REQUESTED_SOURCE } },
      },
    ]);
  });

  it('may list and delete every version of an original and of a thumbnail, nothing outside their prefixes', () => {
    const policy = webPolicy();
    const originals = one(run.resources, T.bucket, '-originals').state.arn as string;
    const thumbnails = one(run.resources, T.bucket, '-thumbnails').state.arn as string;
    expect(allows(policy, 's3:ListBucketVersions', originals)).toBe(true);
    expect(allows(policy, 's3:ListBucketVersions', thumbnails)).toBe(true);
    expect(allows(policy, 's3:DeleteObjectVersion', `${originals}/uploads/0abc/cat.jpg`)).toBe(true);
    expect(allows(policy, 's3:DeleteObjectVersion', `${thumbnails}/thumbnails/0abc/cat.jpg`)).toBe(true);
    expect(allows(policy, 's3:DeleteObjectVersion', `${originals}/other/cat.jpg`)).toBe(false);
  });

  it('may read the cookie secret and the admin token, and the container gets their ARNs and the bus', () => {
    const policy = webPolicy();
    const cookie = one(run.resources, T.secret, '-cookie-secret').state.arn as string;
    const admin = one(run.resources, T.secret, '-admin-token').state.arn as string;
    const gemini = one(run.resources, T.secret, '-gemini-api-key').state.arn as string;
    expect(allows(policy, 'secretsmanager:GetSecretValue', cookie)).toBe(true);
    expect(allows(policy, 'secretsmanager:GetSecretValue', admin)).toBe(true);
    expect(allows(policy, 'secretsmanager:GetSecretValue', gemini)).toBe(false);

    const env = containerEnv(launchTemplate());
    expect(env).toMatchObject({
      EVENT_BUS_NAME: 'default',
      COOKIE_SECRET_ARN: cookie,
      ADMIN_TOKEN_SECRET_ARN: admin,
    });
    expect(loadConfig(env).events).toEqual({ busName: 'default', publishTimeoutMs: 5000 });
  });

  it("the workers may not send events, nor read the web tier's secrets", () => {
    const admin = one(run.resources, T.secret, '-admin-token').state.arn as string;
    for (const policy of run.resources.filter((r) => r.type === T.rolePolicy && !r.name.startsWith('web-'))) {
      const document = JSON.parse(policy.inputs.policy);
      expect(allows(document, 'events:PutEvents', bus)).toBe(false);
      expect(allows(document, 'secretsmanager:GetSecretValue', admin)).toBe(false);
    }
  });
});
