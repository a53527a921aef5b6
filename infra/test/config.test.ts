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
      natGatewayPerAz: false,
      interfaceEndpoints: false,
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
      maxAllocatedStorageGb: 100,
      engineVersion: '8.4',
      parameterGroupFamily: 'mysql8.4',
      engineLifecycleSupport: 'open-source-rds-extended-support-disabled',
      slowQuerySeconds: 1,
      maxConnections: 64,
    });
    expect(config.annotatorChoice).toBe('gemini');
    // No reservation by default: accounts with a concurrency quota of 10 reject any.
    expect(config.annotator).toEqual({ memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: undefined });
    expect(config.thumbnailer).toEqual({ memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: undefined });
    expect(config.pools).toEqual({ web: 4, worker: 2 });
    expect(config.migrationTimeoutSeconds).toBe(300);
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
    expect(required).toEqual([
      'owner',
      'geminiApiKey',
      'annotatorMemoryMb',
      'annotatorReservedConcurrency',
      'thumbnailerReservedConcurrency',
      'dbMaxConnections',
      'alarmEmail',
      'certificateArn',
      'albDomainName',
    ]);
  });
});

describe('the annotator choice', () => {
  it('gemini: the key stays a Pulumi secret', async () => {
    const key = parse({}).geminiApiKey;
    expect(pulumi.Output.isInstance(key)).toBe(true);
    expect(await pulumi.isSecret(key!)).toBe(true);
  });

  it('local: no key is needed, none is read, and the Lambda gets 2048 MB', () => {
    const config = parse({ annotator: 'local', geminiApiKey: undefined });
    expect(config.annotatorChoice).toBe('local');
    expect(config.geminiApiKey).toBeUndefined();
    expect(config.annotator.memoryMb).toBe(2048);
    // A key left in the stack file is ignored, not sent anywhere.
    expect(parse({ annotator: 'local' }).geminiApiKey).toBeUndefined();
  });

  it('an explicit annotatorMemoryMb wins over either default', () => {
    expect(parse({ annotator: 'local', annotatorMemoryMb: '3008' }).annotator.memoryMb).toBe(3008);
    expect(parse({ annotatorMemoryMb: '1024' }).annotator.memoryMb).toBe(1024);
  });
});

describe('the database', () => {
  it.each([
    ['8.4', 'mysql8.4'],
    ['8.4.7', 'mysql8.4'],
    ['8.0', 'mysql8.0'],
    ['8.0.43', 'mysql8.0'],
  ])('accepts MySQL %s (parameter group family %s)', (version, family) => {
    expect(parse({ dbEngineVersion: version }).database).toMatchObject({
      engineVersion: version,
      parameterGroupFamily: family,
    });
  });

  it('takes paid Extended Support only when asked', () => {
    expect(
      parse({ dbEngineVersion: '8.0', dbEngineLifecycleSupport: 'open-source-rds-extended-support' }).database
        .engineLifecycleSupport,
    ).toBe('open-source-rds-extended-support');
  });
});

describe('the connection budget', () => {
  it('the defaults fit db.t3.micro: 4 web instances at the peak of a refresh x 2 processes x 4, 10 Lambdas x 2, 1 migration', () => {
    expect(() => parse({})).not.toThrow();
  });

  it('refuses pools that could exhaust max_connections, naming the numbers', () => {
    const problems = problemsOf({ webDbPoolSize: '10' });
    expect(problems).toEqual([
      expect.stringContaining(
        `${NS}:webDbPoolSize: the stack may open 101 MySQL connections at once but the database allows 64`,
      ),
    ]);
  });

  it('counts reserved concurrency instead of the shared quota when every worker has one', () => {
    // 32 (web) + (3 + 5) x 2 + 1 = 49
    expect(() =>
      parse({ annotatorReservedConcurrency: '3', thumbnailerReservedConcurrency: '5' }),
    ).not.toThrow();
    expect(problemsOf({ thumbnailerReservedConcurrency: '20' })[0]).toContain('may open 93');
  });

  it('grows with the database class, or takes max_connections as given', () => {
    expect(() => parse({ webDbPoolSize: '10', dbInstanceClass: 'db.t3.small' })).not.toThrow();
    expect(() => parse({ webDbPoolSize: '10', dbMaxConnections: '150' })).not.toThrow();
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
    ['dbEngineVersion', { dbEngineVersion: '5.7' }, 'must be MySQL 8.4 or 8.0'],
    ['dbEngineVersion', { dbEngineVersion: '8.1' }, 'must be MySQL 8.4 or 8.0'],
    ['dbEngineLifecycleSupport', { dbEngineLifecycleSupport: 'forever' }, 'must be one of'],
    ['dbMaxAllocatedStorageGb', { dbMaxAllocatedStorageGb: '19' }, 'between 20 and 65536'],
    [
      'dbMaxAllocatedStorageGb',
      { dbAllocatedStorageGb: '50', dbMaxAllocatedStorageGb: '40' },
      'at least dbAllocatedStorageGb (50)',
    ],
    ['dbSlowQuerySeconds', { dbSlowQuerySeconds: '0' }, 'between 0.1 and 60'],
    ['annotator', { annotator: 'openai' }, 'must be one of gemini, local'],
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
