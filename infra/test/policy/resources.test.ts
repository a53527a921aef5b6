import { describe, expect, it } from 'vitest';
import { imdsV2Required, rdsEncryptedAndPrivate } from '../../policy/rules/compute.ts';
import { lambdaLogGroupsManaged, logRetentionSet } from '../../policy/rules/logs.ts';
import { noOpenIngress } from '../../policy/rules/network.ts';
import { lambdaNoPlaintextSecrets } from '../../policy/rules/secrets.ts';
import { resource, validateResource, validateStack } from '../support/policy.ts';

const RDS = 'aws:rds/instance:Instance';
const LAMBDA = 'aws:lambda/function:Function';
const LOG_GROUP = 'aws:cloudwatch/logGroup:LogGroup';
const SG = 'aws:ec2/securityGroup:SecurityGroup';
const INGRESS = 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule';

describe('rds-encrypted-private', () => {
  it('passes an encrypted private instance', () => {
    expect(
      validateResource(
        rdsEncryptedAndPrivate,
        resource(RDS, 'db', { storageEncrypted: true, publiclyAccessible: false }),
      ),
    ).toEqual([]);
  });

  it.each([
    ['unencrypted', { storageEncrypted: false }, 'storageEncrypted'],
    ['public', { storageEncrypted: true, publiclyAccessible: true }, 'publiclyAccessible'],
  ])('flags an %s instance', (_what, props, message) => {
    expect(validateResource(rdsEncryptedAndPrivate, resource(RDS, 'db', props))).toEqual([
      expect.stringContaining(message),
    ]);
  });
});

describe('ec2-imdsv2-required', () => {
  it.each(['aws:ec2/launchTemplate:LaunchTemplate', 'aws:ec2/instance:Instance'])(
    'passes %s with httpTokens required',
    (type) => {
      expect(
        validateResource(
          imdsV2Required,
          resource(type, 'lt', { metadataOptions: { httpTokens: 'required' } }),
        ),
      ).toEqual([]);
    },
  );

  it.each([
    ['optional tokens', { metadataOptions: { httpTokens: 'optional' } }],
    ['no metadata options', {}],
  ])('flags a launch template with %s', (_what, props) => {
    expect(
      validateResource(imdsV2Required, resource('aws:ec2/launchTemplate:LaunchTemplate', 'lt', props)),
    ).toEqual([expect.stringContaining('IMDSv2')]);
  });
});

describe('lambda-no-plaintext-secrets', () => {
  const fn = (variables: Record<string, string>) => resource(LAMBDA, 'fn', { environment: { variables } });

  it('passes references to secrets and ordinary settings', () => {
    const env = {
      DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:rds!db',
      GEMINI_MODEL: 'gemini-3.5-flash',
      PORT: '5000',
    };
    expect(validateResource(lambdaNoPlaintextSecrets, fn(env))).toEqual([]);
  });

  it.each([
    ['a secret by name', { GEMINI_API_KEY: 'anything' }],
    ['a password by name', { DB_PASSWORD: 'hunter2' }],
    ['a URL with a password', { DATABASE_URL_X: 'mysql://admin:hunter2@db:3306/images' }],
    ['a Google API key by value', { SOME_SETTING: 'AIzaSyA-0123456789abcdefghijklmnopqrstu' }],
    ['an AWS access key by value', { UPSTREAM: 'AKIAIOSFODNN7EXAMPLE' }],
  ])('flags %s', (_what, env) => {
    expect(validateResource(lambdaNoPlaintextSecrets, fn(env))).toHaveLength(1);
  });
});

describe('log retention', () => {
  it('passes a log group with a retention and flags one without', () => {
    expect(validateResource(logRetentionSet, resource(LOG_GROUP, 'g', { retentionInDays: 30 }))).toEqual([]);
    expect(validateResource(logRetentionSet, resource(LOG_GROUP, 'g', {}))).toEqual([
      expect.stringContaining('retentionInDays'),
    ]);
  });

  it('passes a Lambda whose log group is in the stack, flags one left to create its own', () => {
    const group = resource(LOG_GROUP, 'g', { name: '/aws/lambda/worker', retentionInDays: 30 });
    const managed = resource(LAMBDA, 'worker', {
      name: 'worker',
      loggingConfig: { logGroup: '/aws/lambda/worker' },
    });
    const unmanaged = resource(LAMBDA, 'stray', { name: 'stray' });
    expect(validateStack(lambdaLogGroupsManaged, [group, managed])).toEqual([]);
    expect(validateStack(lambdaLogGroupsManaged, [group, managed, unmanaged])).toEqual([
      expect.stringContaining('stray'),
    ]);
  });
});

describe('no-open-ingress', () => {
  const albGroup = resource(SG, 'alb', { id: 'sg-alb' });
  const webGroup = resource(SG, 'web', { id: 'sg-web' });
  const alb = resource('aws:lb/loadBalancer:LoadBalancer', 'alb', { securityGroups: ['sg-alb'] });
  const open = (group: typeof albGroup, port: number, cidr = '0.0.0.0/0') =>
    resource(
      INGRESS,
      `${group.name}-${port}`,
      { ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIpv4: cidr },
      { securityGroupId: [group] },
    );

  it('passes 80 and 443 open on the load balancer group, and private rules anywhere', () => {
    const internal = resource(
      INGRESS,
      'web-5000',
      { ipProtocol: 'tcp', fromPort: 5000, toPort: 5000, referencedSecurityGroupId: 'sg-alb' },
      { securityGroupId: [webGroup] },
    );
    expect(
      validateStack(noOpenIngress, [
        albGroup,
        webGroup,
        alb,
        open(albGroup, 80),
        open(albGroup, 443),
        internal,
      ]),
    ).toEqual([]);
  });

  it.each([
    ['SSH open on the ALB group', () => open(albGroup, 22), 'only TCP 80/443'],
    ['the database port open to IPv6', () => open(webGroup, 3306, '::/0'), 'only TCP 80/443'],
    ['HTTP open on a group no load balancer uses', () => open(webGroup, 80), 'no load balancer uses'],
  ])('flags %s', (_what, rule, message) => {
    expect(validateStack(noOpenIngress, [albGroup, webGroup, alb, rule()])).toEqual([
      expect.stringContaining(message),
    ]);
  });

  it('flags inline ingress open to the world on a non-web port', () => {
    const inline = resource(SG, 'legacy', {
      ingress: [{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidrBlocks: ['0.0.0.0/0'] }],
    });
    expect(validateStack(noOpenIngress, [inline])).toEqual([expect.stringContaining('legacy')]);
  });
});
