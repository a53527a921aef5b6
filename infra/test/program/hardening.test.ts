/**
 * Issue 13's rough edges and the annotator choice, each stated on the program run under mocks:
 * what a real `pulumi up` would otherwise trip over.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { INTERFACE_ENDPOINT_SERVICES } from '../../src/endpoints.ts';
import { MIGRATION_HANDLER, schemaFingerprint } from '../../src/migration.ts';
import { SSM_MANAGED_POLICY_ARN } from '../../src/web.ts';
import { allows } from '../support/iam.ts';
import type { RecordedResource } from '../support/mocks.ts';
import { ALL_ON, type ProgramRun, runProgram } from '../support/program.ts';
import { containerEnv, decodeUserData, ofType, one, T } from '../support/resources.ts';

let dev: ProgramRun;
let prod: ProgramRun;
let local: ProgramRun;
beforeAll(async () => {
  dev = await runProgram();
  prod = await runProgram({ stack: 'prod', config: ALL_ON });
  // No geminiApiKey at all: a local stack needs none.
  local = await runProgram({ config: { annotator: 'local', geminiApiKey: undefined } });
});

const fn = (run: ProgramRun, name: string) => one(run.resources, T.lambda, `${name}-function`);
const envOf = (lambda: RecordedResource) => lambda.inputs.environment.variables as Record<string, string>;
const dependsOn = (resource: RecordedResource, logicalName: string) =>
  resource.options.dependsOn.some((urn) => urn.endsWith(`::${logicalName}`));
const rolePolicyOf = (run: ProgramRun, lambda: RecordedResource) => {
  const role = run.resources.find((r) => r.type === T.role && r.state.arn === lambda.inputs.role)!;
  return JSON.parse(
    run.resources.find((r) => r.type === T.rolePolicy && r.inputs.role === role.id)!.inputs.policy,
  );
};

describe('the annotator choice (issue 12 §4)', () => {
  it('gemini: a Gemini secret, its ARN in the environment and the role, the image built for Gemini, 512 MB', () => {
    const annotator = fn(dev, 'annotator');
    const secret = one(dev.resources, T.secret, '-gemini-api-key');
    expect(envOf(annotator).GEMINI_API_KEY_SECRET_ARN).toBe(secret.state.arn);
    expect(envOf(annotator).LOCAL_ANNOTATOR).toBeUndefined();
    expect(
      allows(rolePolicyOf(dev, annotator), 'secretsmanager:GetSecretValue', String(secret.state.arn)),
    ).toBe(true);
    expect(one(dev.resources, T.image, '-annotator').inputs.args).toEqual({ ANNOTATOR: 'gemini' });
    expect(annotator.inputs.memorySize).toBe(512);
  });

  it('local: no Gemini secret, no ARN, no grant; LOCAL_ANNOTATOR=vision, the image built with ANNOTATOR=local, 2048 MB', () => {
    const annotator = fn(local, 'annotator');
    expect(ofType(local.resources, T.secret).map((s) => s.name)).not.toContainEqual(
      expect.stringContaining('gemini'),
    );
    expect(envOf(annotator).GEMINI_API_KEY_SECRET_ARN).toBeUndefined();
    expect(envOf(annotator).LOCAL_ANNOTATOR).toBe('vision');
    const grants = rolePolicyOf(local, annotator).Statement.find(
      (s: { Sid: string }) => s.Sid === 'ReadSecrets',
    );
    expect(grants.Resource).toEqual([envOf(annotator).DATABASE_SECRET_ARN]);
    expect(one(local.resources, T.image, '-annotator').inputs.args).toEqual({ ANNOTATOR: 'local' });
    expect(annotator.inputs.memorySize).toBe(2048);
    // The other images take no build argument.
    expect(one(local.resources, T.image, '-thumbnailer').inputs.args).toBeUndefined();
  });
});

describe('1. the database', () => {
  it('is MySQL 8.4 without paid Extended Support, storage autoscaling to 100 GiB, the current RDS CA', () => {
    expect(one(dev.resources, T.rds).inputs).toMatchObject({
      engineVersion: '8.4',
      engineLifecycleSupport: 'open-source-rds-extended-support-disabled',
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      caCertIdentifier: 'rds-ca-rsa2048-g1',
    });
  });

  it('uses a parameter group of its family that refuses plain connections and logs slow queries', () => {
    const group = one(dev.resources, T.parameterGroup);
    expect(one(dev.resources, T.rds).inputs.parameterGroupName).toBe(group.state.name);
    expect(group.inputs.family).toBe('mysql8.4');
    const params = Object.fromEntries(
      (group.inputs.parameters as { name: string; value: string }[]).map((p) => [p.name, p.value]),
    );
    expect(params).toEqual({
      require_secure_transport: '1',
      slow_query_log: '1',
      long_query_time: '1',
      log_output: 'FILE',
    });
  });

  it('8.0 takes the 8.0 family', async () => {
    const run = await runProgram({
      config: { dbEngineVersion: '8.0', dbEngineLifecycleSupport: 'open-source-rds-extended-support' },
    });
    expect(one(run.resources, T.parameterGroup).inputs.family).toBe('mysql8.0');
    expect(one(run.resources, T.rds).inputs.engineLifecycleSupport).toBe('open-source-rds-extended-support');
  });

  it('every client connects over TLS verified against the RDS CAs (DB_TLS=rds)', () => {
    for (const name of ['annotator', 'thumbnailer', 'migration'])
      expect(envOf(fn(dev, name)).DB_TLS).toBe('rds');
    expect(containerEnv(one(dev.resources, T.launchTemplate)).DB_TLS).toBe('rds');
  });

  it('in production, the final snapshot name carries a suffix drawn per database instance', () => {
    const suffix = one(prod.resources, T.randomId);
    expect(suffix.inputs.keepers).toEqual({
      identifier: one(prod.resources, T.rds, 'database-mysql').inputs.identifier,
    });
    expect(one(prod.resources, T.rds, 'database-mysql').inputs.finalSnapshotIdentifier).toBe(
      `${one(prod.resources, T.rds, 'database-mysql').inputs.identifier}-final-${suffix.state.hex}`,
    );
  });

  it('in production, the database and both buckets are protected; in dev nothing is', () => {
    // The primary; read replicas (readReplicaCount) are copies that a replacement rebuilds.
    const stateful = (run: ProgramRun) => [
      one(run.resources, T.rds, 'database-mysql'),
      ...ofType(run.resources, T.bucket),
    ];
    for (const resource of stateful(prod)) expect(resource.options.protect).toBe(true);
    for (const resource of stateful(dev)) expect(resource.options.protect).toBe(false);
  });
});

describe('2. migrations before workers', () => {
  const migration = () => fn(dev, 'migration');

  it('a migration function runs the thumbnailer image with the migration entry, in the VPC, one connection', () => {
    expect(migration().inputs).toMatchObject({
      packageType: 'Image',
      imageUri: one(dev.resources, T.image, '-thumbnailer').state.imageUri,
      imageConfig: { commands: [MIGRATION_HANDLER] },
      vpcConfig: { securityGroupIds: [one(dev.resources, T.securityGroup, '-lambda').id] },
      timeout: 300,
    });
    expect(envOf(migration())).toMatchObject({ DB_MIGRATE: 'true', DB_POOL_SIZE: '1' });
    expect(envOf(migration())).not.toHaveProperty('ORIGINALS_BUCKET');
  });

  it('may read the database secret, and touch no bucket or queue', () => {
    const policy = rolePolicyOf(dev, migration());
    expect(allows(policy, 'secretsmanager:GetSecretValue', envOf(migration()).DATABASE_SECRET_ARN!)).toBe(
      true,
    );
    const bucket = ofType(dev.resources, T.bucket)[0]!.state.arn as string;
    expect(allows(policy, 's3:GetObject', `${bucket}/uploads/x`)).toBe(false);
    expect(allows(policy, 'sqs:SendMessage', 'arn:aws:sqs:eu-west-1:123456789012:q')).toBe(false);
  });

  it('is invoked with the schema fingerprint, again when the migrations or the database change', () => {
    const invocation = one(dev.resources, T.invocation);
    expect(invocation.inputs.functionName).toBe(migration().state.name);
    expect(JSON.parse(invocation.inputs.input)).toEqual({ schema: schemaFingerprint() });
    expect(invocation.inputs.triggers).toEqual({
      schema: schemaFingerprint(),
      database: `${one(dev.resources, T.rds).state.address}/images`,
    });
  });

  it('the fingerprint follows the migrations list: a new migration changes it', () => {
    const base = [{ version: 1, name: 'a', mysql: ['CREATE TABLE a (id INT)'] }];
    expect(schemaFingerprint(base)).toBe(schemaFingerprint([...base]));
    expect(
      schemaFingerprint([...base, { version: 2, name: 'b', mysql: ['ALTER TABLE a ADD b INT'] }]),
    ).not.toBe(schemaFingerprint(base));
  });

  it('the worker Lambdas and the launch template wait for it; the web tier no longer migrates', () => {
    for (const worker of ['annotator', 'thumbnailer'])
      expect(dependsOn(fn(dev, worker), 'migration-run')).toBe(true);
    expect(dependsOn(one(dev.resources, T.launchTemplate), 'migration-run')).toBe(true);
    expect(containerEnv(one(dev.resources, T.launchTemplate)).DB_MIGRATE).toBe('false');
  });
});

describe('3. first boot', () => {
  it('the instance role has Session Manager access', () => {
    const attachment = one(dev.resources, T.rolePolicyAttachment, 'web-ssm');
    expect(attachment.inputs.policyArn).toBe(SSM_MANAGED_POLICY_ARN);
    expect(SSM_MANAGED_POLICY_ARN).toBe('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore');
    const profile = one(dev.resources, T.instanceProfile);
    expect(attachment.inputs.role).toBe(profile.inputs.role);
  });

  it('retries the Docker install instead of failing the boot at the first error', () => {
    const script = decodeUserData(one(dev.resources, T.launchTemplate));
    expect(script).toMatch(/for attempt in 1 2 3 4 5; do\n {2}if dnf install -y docker; then/);
    expect(script).toContain('echo "could not install docker" >&2');
  });

  it('the Auto Scaling group waits for the VPC (its NAT routes) and the SSM grant; a failed refresh rolls back', () => {
    const group = one(dev.resources, T.asg);
    expect(dependsOn(group, 'network-vpc')).toBe(true);
    expect(dependsOn(group, 'web-ssm')).toBe(true);
    expect(group.inputs.instanceRefresh.preferences).toMatchObject({
      autoRollback: true,
      maxHealthyPercentage: 200,
    });
  });
});

describe('7. explicit names never clash with their own replacement', () => {
  it('the ALB and the target group are autonamed', () => {
    expect(one(dev.resources, T.alb).inputs.name).toBeUndefined();
    expect(one(dev.resources, T.targetGroup).inputs.name).toBeUndefined();
  });

  it('the Lambdas, the RDS instance and the ECR repositories, which keep their names, delete before replacing', () => {
    const named = [
      ...ofType(dev.resources, T.lambda),
      one(dev.resources, T.rds),
      ...ofType(dev.resources, T.repository),
    ];
    expect(named).toHaveLength(7);
    for (const resource of named) {
      expect(resource.inputs.name ?? resource.inputs.identifier).toBeTruthy();
      expect(resource.options.deleteBeforeReplace).toBe(true);
    }
  });
});

describe('8. connection pools', () => {
  it('come from config: web 4 per process, workers 2 per instance, migration 1', async () => {
    expect(containerEnv(one(dev.resources, T.launchTemplate)).DB_POOL_SIZE).toBe('4');
    for (const worker of ['annotator', 'thumbnailer']) expect(envOf(fn(dev, worker)).DB_POOL_SIZE).toBe('2');
    const custom = await runProgram({ config: { webDbPoolSize: '3', workerDbPoolSize: '1' } });
    expect(containerEnv(one(custom.resources, T.launchTemplate)).DB_POOL_SIZE).toBe('3');
    expect(envOf(fn(custom, 'thumbnailer')).DB_POOL_SIZE).toBe('1');
  });
});

describe('9. lifecycle and endpoints', () => {
  it('the buckets also remove expired delete markers', () => {
    for (const lifecycle of ofType(dev.resources, T.lifecycle)) {
      const rule = lifecycle.inputs.rules.find((r: { id: string }) => r.id === 'expire-noncurrent-versions');
      expect(rule.expiration).toEqual({ expiredObjectDeleteMarker: true });
    }
  });

  it('off: no interface endpoint, one NAT gateway', () => {
    expect(ofType(dev.resources, T.endpoint).map((e) => e.inputs.vpcEndpointType)).toEqual(['Gateway']);
    expect(one(dev.resources, T.vpc).inputs.natGateways).toEqual({ strategy: 'Single' });
  });

  it('on: an endpoint per AWS API in the private subnets, open to the web and Lambda groups only; a NAT per AZ', async () => {
    const run = await runProgram({ config: { enableInterfaceEndpoints: 'true', natGatewayPerAz: 'true' } });
    const endpoints = ofType(run.resources, T.endpoint).filter(
      (e) => e.inputs.vpcEndpointType === 'Interface',
    );
    expect(endpoints.map((e) => e.inputs.serviceName).sort()).toEqual(
      INTERFACE_ENDPOINT_SERVICES.map((s) => `com.amazonaws.eu-west-1.${s}`).sort(),
    );
    const group = one(run.resources, T.securityGroup, 'endpoints-sg');
    for (const endpoint of endpoints) {
      expect(endpoint.inputs).toMatchObject({
        privateDnsEnabled: true,
        subnetIds: ['subnet-private-1', 'subnet-private-2'],
        securityGroupIds: [group.id],
      });
    }
    const ingress = ofType(run.resources, T.ingress).filter((r) => r.inputs.securityGroupId === group.id);
    expect(ingress.map((r) => [r.inputs.fromPort, r.inputs.referencedSecurityGroupId]).sort()).toEqual(
      [
        [443, one(run.resources, T.securityGroup, '-web').id],
        [443, one(run.resources, T.securityGroup, '-lambda').id],
      ].sort(),
    );
    expect(one(run.resources, T.vpc).inputs.natGateways).toEqual({ strategy: 'OnePerAz' });
  });
});
