import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { parseStackConfig, StackConfigError } from '../src/config.ts';
import { CONFIG_KEYS } from '../src/config-keys.ts';
import { configSource } from './support/config-source.ts';

const NS = 'image-annotation-platform';
const context = { project: NS, stack: 'dev', region: 'eu-west-1' };

const REQUIRED = { owner: 'platform-team', geminiApiKey: 'test-gemini-key' };

function parse(values: Record<string, string | undefined>, region: string | undefined = 'eu-west-1') {
  return parseStackConfig(configSource({ ...REQUIRED, ...values }), { ...context, region });
}

function problemsOf(values: Record<string, string | undefined>, region?: string): string[] {
  try {
    parse(values, region);
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as StackConfigError).problems.map((p) => `${p.key}: ${p.message}`);
  }
  throw new Error('the config was accepted');
}

describe('defaults', () => {
  it('reproduce the seed topology with every optional feature off', () => {
    const config = parse({});
    expect(config.network).toEqual({
      vpcCidr: '10.0.0.0/16',
      availabilityZoneCount: 2,
      publicSubnetCidrs: ['10.0.1.0/24', '10.0.2.0/24'],
      privateSubnetCidrs: ['10.0.101.0/24', '10.0.102.0/24'],
    });
    expect(config.web).toMatchObject({
      instanceType: 't3.micro',
      minSize: 1,
      maxSize: 2,
      desiredCapacity: 1,
      healthCheckGraceSeconds: 300,
      cpuTargetPercent: 20,
    });
    expect(config.database).toMatchObject({
      instanceClass: 'db.t3.micro',
      allocatedStorageGb: 20,
      engineVersion: '8.0',
    });
    expect(config.annotator).toEqual({ memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 2 });
    expect(config.thumbnailer).toEqual({ memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 5 });
    expect([
      config.certificateArn,
      config.waf,
      config.cloudFront,
      config.alarmEmail,
      config.production,
    ]).toEqual([undefined, undefined, false, undefined, false]);
  });

  it('are declared for every key the README documents as optional', () => {
    const required = CONFIG_KEYS.filter((k) => k.default === undefined).map((k) => k.key);
    expect(required).toEqual(['owner', 'geminiApiKey', 'alarmEmail', 'certificateArn', 'albDomainName']);
  });
});

describe('the Gemini API key', () => {
  it('stays a Pulumi secret', async () => {
    const key = parse({}).geminiApiKey;
    expect(pulumi.Output.isInstance(key)).toBe(true);
    expect(await pulumi.isSecret(key)).toBe(true);
  });
});

describe('a bad stack config fails with an error that names the key', () => {
  it.each([
    [
      'asgMaxSize',
      { asgMinSize: '3', asgMaxSize: '2', asgDesiredCapacity: '3' },
      'must be at least asgMinSize (3), got 2',
    ],
    [
      'asgDesiredCapacity',
      { asgDesiredCapacity: '5' },
      'must be between asgMinSize (1) and asgMaxSize (2), got 5',
    ],
    [
      'privateSubnetCidrs',
      { privateSubnetCidrs: '["10.0.101.0/24","10.1.0.0/24"]' },
      '10.1.0.0/24 is outside the VPC 10.0.0.0/16',
    ],
    ['publicSubnetCidrs', { publicSubnetCidrs: '["10.0.1.0/24","10.0.1.128/25"]' }, 'overlaps 10.0.1.0/24'],
    [
      'publicSubnetCidrs',
      { publicSubnetCidrs: '["10.0.1.0/24"]' },
      'one CIDR per availability zone: 2 (got 1)',
    ],
    ['publicSubnetCidrs', { publicSubnetCidrs: '["10.0.1.5/24","10.0.2.0/24"]' }, 'has host bits set'],
    ['privateSubnetCidrs', { privateSubnetCidrs: 'not json' }, 'must be a list of strings'],
    ['vpcCidr', { vpcCidr: '10.0.0.0/8' }, 'between /16 and /28'],
    ['vpcCidr', { vpcCidr: '10.0.0.0' }, 'is not an IPv4 CIDR block'],
    ['dbInstanceClass', { dbInstanceClass: 'db.t9.mega' }, 'unknown instance class "db.t9.mega"'],
    ['dbInstanceClass', { dbInstanceClass: 'db.t3.huge' }, 'unknown instance class "db.t3.huge"'],
    ['webInstanceType', { webInstanceType: 't4g.micro' }, 'arm64 (Graviton)'],
    ['webInstanceType', { webInstanceType: 'x9.large' }, 'unknown instance family "x9"'],
    ['dbAllocatedStorageGb', { dbAllocatedStorageGb: '10' }, 'between 20 and 16384'],
    ['dbBackupRetentionDays', { dbBackupRetentionDays: '0' }, 'between 1 and 35'],
    ['dbEngineVersion', { dbEngineVersion: '5.7' }, 'MySQL 8.0'],
    ['dbUsername', { dbUsername: 'rdsadmin' }, 'reserved'],
    ['annotatorMemoryMb', { annotatorMemoryMb: '64' }, 'between 128 and 10240'],
    ['thumbnailerTimeoutSeconds', { thumbnailerTimeoutSeconds: '901' }, 'between 1 and 900'],
    ['annotatorReservedConcurrency', { annotatorReservedConcurrency: '0' }, 'between 1 and 1000'],
    ['lambdaRetryAttempts', { lambdaRetryAttempts: '3' }, 'between 0 and 2'],
    ['logRetentionDays', { logRetentionDays: '10' }, 'must be one of 1, 3, 5, 7, 14'],
    ['production', { production: 'yes' }, 'must be true or false'],
    ['alarmEmail', { alarmEmail: 'oncall' }, 'must be an email address'],
    ['certificateArn', { certificateArn: 'my-cert' }, 'must be an ACM certificate ARN'],
    [
      'certificateArn',
      { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
      'the certificate is in us-east-1 but the ALB is in eu-west-1',
    ],
    ['wafRateLimit', { enableWaf: 'true', wafRateLimit: '5' }, 'between 10 and 2000000000'],
    [
      'appEnv.GEMINI_API_KEY',
      { appEnv: '{"GEMINI_API_KEY":"k"}' },
      'pulumi config set --secret geminiApiKey',
    ],
    ['appEnv.ORIGINALS_BUCKET', { appEnv: '{"ORIGINALS_BUCKET":"b"}' }, 'cannot be set here'],
    ['appEnv', { appEnv: '["a"]' }, 'must be a map of strings'],
    ['appEnv.GEMINI_MODEL', { appEnv: '{"GEMINI_MODEL":"a\\nB=evil"}' }, 'must be one line of letters'],
    ['appEnv.GEMINI_MODEL', { appEnv: '{"GEMINI_MODEL":"$(reboot)"}' }, 'writes it to a shell script'],
    ['appEnv.LOG_LEVEL', { appEnv: '{"LOG_LEVEL":"a\\"b"}' }, 'must be one line of letters'],
    ['geminiApiKey', { geminiApiKey: undefined }, 'is required (pulumi config set --secret geminiApiKey'],
    ['owner', { owner: '' }, 'is required'],
  ])('%s', (key, values, message) => {
    expect(problemsOf(values)).toContainEqual(expect.stringContaining(`${NS}:${key}: `));
    expect(problemsOf(values).find((p) => p.startsWith(`${NS}:${key}: `))).toContain(message);
  });

  it('aws:region must be set', () => {
    const parseWithoutRegion = () =>
      parseStackConfig(configSource(REQUIRED), { ...context, region: undefined });
    expect(parseWithoutRegion).toThrow(StackConfigError);
    expect(parseWithoutRegion).toThrow(/\n {2}- aws:region: is required/);
  });

  it('lists every problem at once, each on its own line of the message', () => {
    try {
      parse({ asgMaxSize: '0', dbInstanceClass: 'db.nope.small', logRetentionDays: '2' });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      for (const key of ['asgMaxSize', 'dbInstanceClass', 'logRetentionDays'])
        expect(message).toContain(`\n  - ${NS}:${key}: `);
    }
  });

  it('reports a missing Gemini secret together with every other problem', () => {
    const problems = problemsOf({
      geminiApiKey: undefined,
      dbInstanceClass: 'db.nope.small',
      logRetentionDays: '2',
      production: 'yes',
    });
    expect(problems.map((p) => p.split(': ')[0]).sort()).toEqual(
      ['dbInstanceClass', 'geminiApiKey', 'logRetentionDays', 'production'].map((key) => `${NS}:${key}`),
    );
  });

  it('accepts the settable app settings', () => {
    expect(parse({ appEnv: '{"GEMINI_MODEL":"gemini-x","THUMBNAIL_FIT":"inside"}' }).appEnv).toEqual({
      GEMINI_MODEL: 'gemini-x',
      THUMBNAIL_FIT: 'inside',
    });
  });
});
